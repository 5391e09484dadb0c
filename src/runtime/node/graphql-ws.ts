import { CloseCode } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { CountedSocket } from '../../app/socket-gate.ts';
import { INTERNAL_ERROR_REASON, type GraphqlWsProtocol, type ProtocolSession, type ProtocolSocket } from '../../transport/ws/protocol-server.ts';

export interface NodeGraphqlWsHooks {
  /** Why a frame must not reach the protocol server (the socket closes with that code and reason), or `undefined`. */
  frameRefusal(data: RawData, isBinary: boolean): { code: number; reason: string } | undefined;
  /** A socket failed: reported once; the socket closes with 4500. */
  internalError(error: unknown): void;
  /** A socket opened (`SocketGate.opened`): told when it closes. */
  opened(): CountedSocket;
  /** Admission control (`SocketGate.admit`): a refusal closes the socket before the protocol server sees it. */
  admit?(): { code: number; reason: string } | undefined;
  /** An admitted socket's handshake ended (`connection_ack` sent, or the socket closed): once per admitted socket, told by its session. */
  settled?(): void;
  /** Ping period, and how long a pong may take before the socket is cut. Default 12 000 (use/ws's). */
  readonly keepAliveMs?: number;
}

const KEEP_ALIVE_MS = 12_000;
/**
 * How often the keep-alive visits a group of sockets. Short, so each visit is small: with 12 groups
 * (a visit a second) a node holding 18,000 sockets pinged 1,500 at once and took their 1,500 pongs
 * right after, a burst that showed as a 70–100 ms p99 in every second of the node-capacity benchmark.
 */
const KEEP_ALIVE_TICK_MS = 50;

/**
 * Serves the graphql-ws protocol (`transport/ws/protocol-server.ts`) on `sockets`, in the role of
 * `graphql-ws/use/ws`, keeping less per socket: one {@link NodeSocket} is the session's view of it;
 * frames reach the session as strings (a frame's Buffer would stay referenced while its message is
 * handled, which for a subscription is until it ends); and one keep-alive timer serves every socket
 * (use/ws arms an interval per socket). As with use/ws, each socket is pinged every `keepAliveMs` and
 * terminated when a ping is not answered within that time.
 * `sockets` must negotiate the protocol with graphql-ws's `handleProtocols`.
 */
export function useGraphqlWs(
  protocol: GraphqlWsProtocol<WebSocket>,
  sockets: WebSocketServer,
  hooks: NodeGraphqlWsHooks,
): { dispose(): Promise<void> } {
  // ws re-emits its HTTP server's errors; one before the server listens (port in use) is the
  // host's to report (cli.ts), not a socket fault.
  const host = (sockets.options as { server?: { readonly listening: boolean } }).server;
  sockets.on('error', (error) => {
    if (host !== undefined && !host.listening) return;
    hooks.internalError(error);
    for (const socket of admitted()) socket.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
  });

  // Keep-alive: sockets are dealt into `keepAliveMs / KEEP_ALIVE_TICK_MS` groups, and each tick visits one group, so
  // every socket is visited every `keepAliveMs` and the pings spread over the period (one timer
  // for all sockets, not one per socket). A visited socket is pinged, or terminated when it has not
  // answered the previous ping. ws calls a listener with `this` the socket: one function serves all.
  const keepAliveMs = hooks.keepAliveMs ?? KEEP_ALIVE_MS;
  const groupCount = Math.max(1, Math.round(keepAliveMs / KEEP_ALIVE_TICK_MS));
  const groups = Array.from({ length: groupCount }, () => new Set<WebSocket>());
  const unanswered = new Set<WebSocket>();
  function answered(this: WebSocket): void {
    unanswered.delete(this);
  }
  let tick = 0;
  const keepAlive = setInterval(() => {
    for (const socket of groups[tick++ % groupCount] ?? []) {
      if (unanswered.has(socket)) {
        socket.terminate();
      } else if (socket.readyState === socket.OPEN) {
        unanswered.add(socket);
        socket.ping();
      }
    }
  }, keepAliveMs / groupCount);
  keepAlive.unref();
  let dealt = 0;
  // Every admitted socket is in one group: they are the binding's list of sockets, so `sockets` need
  // not track its clients (ws's tracking costs a close listener and a set entry per socket). A socket
  // admission refused is not in any; it is closing already.
  function* admitted(): Generator<WebSocket> {
    for (const group of groups) yield* group;
  }

  // The socket listeners, one function each for every socket (ws calls them with `this` the socket,
  // which finds its binding through one property) rather than three closures per socket.
  function failed(this: WebSocket, error: Error): void {
    hooks.internalError(error);
    this.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
  }
  function received(this: BoundSocket, data: RawData, isBinary: boolean): void {
    const refusal = hooks.frameRefusal(data, isBinary);
    if (refusal !== undefined) return this.close(refusal.code, refusal.reason);
    this[BINDING]?.session?.receive(String(data));
  }
  function closed(this: BoundSocket, code: number, reason: Buffer): void {
    const binding = this[BINDING];
    if (binding === undefined) return;
    binding.group?.delete(this);
    unanswered.delete(this);
    binding.session?.closed(code, String(reason));
    binding.counted.closed(code);
  }

  sockets.on('connection', (socket: BoundSocket) => {
    // `on`, not `once`: ws emits 'error' and 'close' at most once per socket, and a `once` wrapper
    // costs two more objects per socket.
    socket.on('error', failed);
    socket.on('close', closed);
    const binding = new NodeSocket(socket, hooks, hooks.opened());
    socket[BINDING] = binding;
    const refusal = hooks.admit?.();
    if (refusal !== undefined) return socket.close(refusal.code, refusal.reason);
    const group = groups[dealt++ % groupCount] as Set<WebSocket>;
    group.add(socket);
    binding.admitted(group);
    socket.on('pong', answered);
    binding.session = protocol.open(binding, socket);
    socket.on('message', received);
  });

  return {
    async dispose() {
      clearInterval(keepAlive);
      for (const socket of admitted()) socket.close(1001, 'Going away');
      sockets.removeAllListeners();
      await new Promise<void>((resolve, reject) => sockets.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

const BINDING = Symbol('switchboard.graphql-ws');

/** A ws socket with its binding, as the listeners find it. */
interface BoundSocket extends WebSocket {
  [BINDING]?: NodeSocket;
}

/**
 * A ws socket as the protocol server sees it, and what the listeners need of it: its count, and its
 * session and keep-alive group once admitted (every admitted socket has a session, which tells when
 * its handshake ended).
 */
class NodeSocket implements ProtocolSocket {
  readonly #socket: WebSocket;
  readonly #hooks: NodeGraphqlWsHooks;
  readonly counted: CountedSocket;
  group: Set<WebSocket> | undefined;
  session: ProtocolSession | undefined;

  constructor(socket: WebSocket, hooks: NodeGraphqlWsHooks, counted: CountedSocket) {
    this.#socket = socket;
    this.#hooks = hooks;
    this.counted = counted;
  }

  /** Admission let the socket in: it is pinged with `group`. */
  admitted(group: Set<WebSocket>): void {
    this.group = group;
  }

  get protocol(): string {
    return this.#socket.protocol;
  }

  send(data: string): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(data);
  }

  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  handshakeEnded(): void {
    this.#hooks.settled?.();
  }
}
