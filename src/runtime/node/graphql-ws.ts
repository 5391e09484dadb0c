import { CloseCode, makeServer, type ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';

/** graphql-ws's `extra` on Node: the socket alone. */
export interface NodeSocketExtra {
  readonly socket: WebSocket;
}

export interface NodeGraphqlWsHooks {
  /** Why a frame must not reach graphql-ws (the socket closes with that code and reason), or `undefined`. */
  frameRefusal(data: RawData, isBinary: boolean): { code: number; reason: string } | undefined;
  /** A socket failed, or a graphql-ws hook threw: reported once; the socket closes with 4500. */
  internalError(error: unknown): void;
  /** Admission control (`SocketGate.admit`): a refusal closes the socket before graphql-ws sees it. */
  admit?(): { code: number; reason: string } | undefined;
  /** An admitted socket's handshake ended (`connection_ack` sent, or the socket closed): once per admitted socket. */
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
const INTERNAL_ERROR_REASON = 'Internal server error';
/** How graphql-ws's `connection_ack` frame begins (`stringifyMessage` writes `type` first). */
const ACK_PREFIX = '{"type":"connection_ack"';

/**
 * Serves graphql-ws on `sockets`, the role of `graphql-ws/use/ws` over the same protocol core
 * (`makeServer`), keeping less per socket: `extra` carries the socket only (use/ws also keeps the
 * upgrade request, about 1.3 KB, for the socket's whole life); frames reach graphql-ws as strings (a
 * frame's Buffer stays referenced while its message is handled, which for a subscription is until it
 * ends); and one keep-alive timer serves every socket (use/ws arms an interval per socket). As with
 * use/ws, each socket is pinged every `keepAliveMs` and terminated when a ping is not answered
 * within that time.
 * `sockets` must negotiate the protocol with graphql-ws's `handleProtocols`.
 */
export function useGraphqlWs(
  options: ServerOptions<Record<string, unknown> | undefined, NodeSocketExtra>,
  sockets: WebSocketServer,
  hooks: NodeGraphqlWsHooks,
): { dispose(): Promise<void> } {
  const server = makeServer(options);
  const internalError = (socket: WebSocket, error: unknown) => {
    hooks.internalError(error);
    socket.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
  };
  // ws re-emits its HTTP server's errors; one before the server listens (port in use) is the
  // host's to report (cli.ts), not a socket fault.
  const host = (sockets.options as { server?: { readonly listening: boolean } }).server;
  sockets.on('error', (error) => {
    if (host !== undefined && !host.listening) return;
    hooks.internalError(error);
    for (const socket of sockets.clients) socket.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
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

  sockets.on('connection', (socket: WebSocket) => {
    // `on`, not `once`: ws emits 'error' and 'close' at most once per socket, and a `once` wrapper
    // costs two more objects per socket.
    socket.on('error', (error) => internalError(socket, error));
    const refusal = hooks.admit?.();
    if (refusal !== undefined) return socket.close(refusal.code, refusal.reason);
    let handshaking = true;
    const settle = () => {
      if (!handshaking) return;
      handshaking = false;
      hooks.settled?.();
    };
    const group = groups[dealt++ % groupCount];
    group?.add(socket);
    socket.on('pong', answered);
    let receive: ((data: string) => Promise<void>) | undefined;
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (handshaking && data.startsWith(ACK_PREFIX)) settle();
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) => void (receive = handle),
      },
      { socket },
    );
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const refusal = hooks.frameRefusal(data, isBinary);
      if (refusal !== undefined) return socket.close(refusal.code, refusal.reason);
      receive?.(String(data)).catch((error: unknown) => internalError(socket, error));
    });
    socket.on('close', (code: number, reason: Buffer) => {
      settle();
      group?.delete(socket);
      unanswered.delete(socket);
      closed(code, String(reason)).catch((error: unknown) => hooks.internalError(error));
    });
  });

  return {
    async dispose() {
      clearInterval(keepAlive);
      for (const socket of sockets.clients) socket.close(1001, 'Going away');
      sockets.removeAllListeners();
      await new Promise<void>((resolve, reject) => sockets.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
