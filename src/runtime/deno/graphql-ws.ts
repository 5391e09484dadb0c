import { CloseCode } from 'graphql-ws';
import type { CountedSocket } from '../../app/socket-gate.ts';
import { INTERNAL_ERROR_REASON, type GraphqlWsProtocol, type ProtocolSession, type ProtocolSocket } from '../../transport/ws/protocol-server.ts';

export interface DenoGraphqlWsHooks {
  /** Why a frame must not reach the protocol server (the socket closes with that code and reason), or `undefined`. */
  frameRefusal(data: unknown): { code: number; reason: string } | undefined;
  /** A socket failed: reported once; the socket closes with 4500. */
  internalError(error: unknown): void;
  /** An admitted socket's handshake ended (`connection_ack` sent, or the socket closed): once per admitted socket. */
  settled(): void;
  /** `socket` closed, after the protocol server and the socket's own `closed` have been told. */
  forget(socket: WebSocket): void;
}

/** What a socket is handed over with, besides itself. */
export interface DenoSocketOptions {
  /** The subprotocol the handshake answered (`handleProtocols`), or `''` when none was acceptable (the protocol server closes with 4406). */
  readonly protocol: string;
  /** Admission control's refusal: the socket is closed with it as soon as it opens, and the protocol server never sees it. */
  readonly refusal: { code: number; reason: string } | undefined;
  /** Told the close code once the socket closed (`SocketGate.opened`). */
  readonly counted: CountedSocket;
}


/**
 * Serves the graphql-ws protocol (`transport/ws/protocol-server.ts`) on Deno WebSockets, in the role
 * of `graphql-ws/use/deno`, keeping less per socket: one {@link DenoConnection} per socket is at once
 * its event listener (`handleEvent`) and the socket the protocol server talks to, where use/deno keeps
 * five closures and, for a subscription's whole life, the frame's `MessageEvent` inside a suspended
 * async handler. The frame and admission rules, the 4500 close on socket faults and the settle on
 * `connection_ack` run in this one path. Returns the function that takes a freshly upgraded socket.
 */
export function useDenoGraphqlWs(protocol: GraphqlWsProtocol<WebSocket>, hooks: DenoGraphqlWsHooks): (socket: WebSocket, socketOptions: DenoSocketOptions) => void {
  const shared: Shared = { protocol, hooks };
  return (socket, { protocol: subprotocol, refusal, counted }) => {
    const connection = new DenoConnection(socket, subprotocol, refusal, counted, shared);
    for (const type of EVENTS) socket.addEventListener(type, connection);
  };
}

const EVENTS = ['open', 'message', 'close', 'error'] as const;

interface Shared {
  readonly protocol: GraphqlWsProtocol<WebSocket>;
  readonly hooks: DenoGraphqlWsHooks;
}

/** One socket: its listener for every event, and the protocol server's view of it. */
class DenoConnection implements ProtocolSocket {
  readonly protocol: string;
  readonly #socket: WebSocket;
  readonly #refusal: { code: number; reason: string } | undefined;
  readonly #counted: CountedSocket;
  readonly #shared: Shared;
  /** Once the socket opened, if admitted: it tells when the handshake ended. */
  #session: ProtocolSession | undefined;

  constructor(
    socket: WebSocket,
    protocol: string,
    refusal: { code: number; reason: string } | undefined,
    counted: CountedSocket,
    shared: Shared,
  ) {
    this.protocol = protocol;
    this.#socket = socket;
    this.#refusal = refusal;
    this.#counted = counted;
    this.#shared = shared;
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
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(data);
  }

  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  handshakeEnded(): void {
    this.#shared.hooks.settled();
  }

  #open(): void {
    const refusal = this.#refusal;
    if (refusal !== undefined) return this.#socket.close(refusal.code, refusal.reason);
    this.#session = this.#shared.protocol.open(this, this.#socket);
  }

  #message(data: unknown): void {
    if (this.#refusal !== undefined) return;
    const refusal = this.#shared.hooks.frameRefusal(data);
    if (refusal !== undefined) return this.#socket.close(refusal.code, refusal.reason);
    // A string: frameRefusal lets no binary frame through.
    this.#session?.receive(data as string);
  }

  #close(code: number, reason: string): void {
    // Admitted, but closed before it opened: no session was there to end the handshake.
    if (this.#session === undefined && this.#refusal === undefined) this.#shared.hooks.settled();
    this.#session?.closed(code, reason);
    this.#counted.closed(code);
    this.#shared.hooks.forget(this.#socket);
  }

  #internalError(error: unknown): void {
    this.#shared.hooks.internalError(error);
    this.#socket.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
  }
}
