import { CloseCode, makeServer, type Server, type ServerOptions } from 'graphql-ws';

/** graphql-ws's `extra` on Deno: the socket alone. */
export interface DenoSocketExtra {
  readonly socket: WebSocket;
}

export interface DenoGraphqlWsHooks {
  /** Why a frame must not reach graphql-ws (the socket closes with that code and reason), or `undefined`. */
  frameRefusal(data: unknown): { code: number; reason: string } | undefined;
  /** A socket failed, or a graphql-ws hook threw: reported once; the socket closes with 4500. */
  internalError(error: unknown): void;
  /** An admitted socket's handshake ended (`connection_ack` sent, or the socket closed): once per admitted socket. */
  settled(): void;
  /** `socket` closed, after graphql-ws and the socket's own `closed` have been told. */
  forget(socket: WebSocket): void;
}

/** What a socket is handed over with, besides itself. */
export interface DenoSocketOptions {
  /** The subprotocol the handshake answered (`handleProtocols`), or `''` when none was acceptable (graphql-ws closes with 4406). */
  readonly protocol: string;
  /** Admission control's refusal: the socket is closed with it as soon as it opens, and graphql-ws never sees it. */
  readonly refusal: { code: number; reason: string } | undefined;
  /** Called once with the close code (`SocketGate.opened`'s callback). */
  readonly closed: (code: number) => void;
}

const INTERNAL_ERROR_REASON = 'Internal server error';
/** How graphql-ws's `connection_ack` frame begins (`stringifyMessage` writes `type` first). */
const ACK_PREFIX = '{"type":"connection_ack"';

/**
 * Serves graphql-ws on Deno WebSockets, the role of `graphql-ws/use/deno` over the same protocol
 * core (`makeServer`), keeping less per socket: one {@link DenoConnection} per socket is at once its
 * event listener (`handleEvent`) and the socket graphql-ws talks to, where use/deno keeps five
 * closures and, for a subscription's whole life, the frame's `MessageEvent` inside a suspended async
 * handler. The frame and admission rules, the 4500 close on internal faults and the settle on
 * `connection_ack` are the ones `host.ts` applied around use/deno, now in this one path.
 * Returns the function that takes a freshly upgraded socket.
 */
export function useDenoGraphqlWs(
  options: ServerOptions<Record<string, unknown> | undefined, DenoSocketExtra>,
  hooks: DenoGraphqlWsHooks,
): (socket: WebSocket, socketOptions: DenoSocketOptions) => void {
  const shared: Shared = { server: makeServer(options), hooks };
  return (socket, { protocol, refusal, closed }) => {
    const connection = new DenoConnection(socket, protocol, refusal, closed, shared);
    for (const type of EVENTS) socket.addEventListener(type, connection);
  };
}

const EVENTS = ['open', 'message', 'close', 'error'] as const;

interface Shared {
  readonly server: Server<DenoSocketExtra>;
  readonly hooks: DenoGraphqlWsHooks;
}

/** One socket: its listener for every event, and graphql-ws's view of it (protocol, send, close, onMessage). */
class DenoConnection {
  readonly protocol: string;
  readonly #socket: WebSocket;
  readonly #refusal: { code: number; reason: string } | undefined;
  readonly #counted: (code: number) => void;
  readonly #shared: Shared;
  /** Set while an admitted socket has not yet sent `connection_ack` nor closed. */
  #handshaking: boolean;
  #receive: ((data: string) => Promise<void>) | undefined;
  #closed: ((code?: number, reason?: string) => Promise<void>) | undefined;

  constructor(
    socket: WebSocket,
    protocol: string,
    refusal: { code: number; reason: string } | undefined,
    counted: (code: number) => void,
    shared: Shared,
  ) {
    this.protocol = protocol;
    this.#socket = socket;
    this.#refusal = refusal;
    this.#counted = counted;
    this.#shared = shared;
    this.#handshaking = refusal === undefined;
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'open':
        return this.#open();
      case 'message':
        return this.#message((event as MessageEvent).data);
      case 'close':
        return this.#close((event as CloseEvent).code, (event as CloseEvent).reason);
      case 'error':
        return this.#internalError((event as ErrorEvent).error ?? new Error((event as ErrorEvent).message));
    }
  }

  send(data: string): void {
    if (this.#handshaking && data.startsWith(ACK_PREFIX)) this.#settle();
    this.#socket.send(data);
  }

  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  onMessage(receive: (data: string) => Promise<void>): void {
    this.#receive = receive;
  }

  #open(): void {
    const refusal = this.#refusal;
    if (refusal !== undefined) return this.#socket.close(refusal.code, refusal.reason);
    this.#closed = this.#shared.server.opened(this, { socket: this.#socket });
  }

  #message(data: unknown): void {
    if (this.#refusal !== undefined) return;
    const refusal = this.#shared.hooks.frameRefusal(data);
    if (refusal !== undefined) return this.#socket.close(refusal.code, refusal.reason);
    // A string: frameRefusal lets no binary frame through.
    this.#receive?.(data as string).catch((error: unknown) => this.#internalError(error));
  }

  #close(code: number, reason: string): void {
    this.#settle();
    this.#closed?.(code, reason).catch((error: unknown) => this.#shared.hooks.internalError(error));
    this.#counted(code);
    this.#shared.hooks.forget(this.#socket);
  }

  #settle(): void {
    if (!this.#handshaking) return;
    this.#handshaking = false;
    this.#shared.hooks.settled();
  }

  #internalError(error: unknown): void {
    this.#shared.hooks.internalError(error);
    this.#socket.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
  }
}
