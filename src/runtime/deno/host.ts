import { handleProtocols } from 'graphql-ws';
import type { App } from '../../app/create-app.ts';
import type { CliProcess, Host } from '../../app/cli.ts';
import { ConfigError } from '../../app/config.ts';
import { useDenoGraphqlWs } from './graphql-ws.ts';

/**
 * The part of the `Deno` namespace this adapter uses. Declared here, not through `@types`-style
 * globals, so the rest of the code base (type-checked for Node) never sees `Deno`.
 */
interface DenoApi {
  readonly args: readonly string[];
  readonly env: { get(name: string): string | undefined };
  readonly permissions: { querySync(descriptor: { name: 'env'; variable: string }): { readonly state: string } };
  readonly stdout: { writeSync(bytes: Uint8Array): number };
  readonly stderr: { writeSync(bytes: Uint8Array): number };
  exit(code: number): never;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', listener: () => void): void;
  removeSignalListener(signal: 'SIGTERM' | 'SIGINT', listener: () => void): void;
  serve(
    options: { port: number; hostname?: string; onListen?: (addr: unknown) => void },
    handler: (request: Request, info: { readonly remoteAddr: { readonly hostname?: string } }) => Response | Promise<Response>,
  ): { readonly addr: { readonly port: number }; shutdown(): Promise<void> };
  memoryUsage(): { readonly rss: number };
  upgradeWebSocket(request: Request, options: { idleTimeout?: number }): { socket: WebSocket; response: Response };
}

function deno(): DenoApi {
  const api = (globalThis as { Deno?: DenoApi }).Deno;
  if (api === undefined) throw new Error('Cannot use the Deno host: the Deno global is missing (not running on Deno)');
  return api;
}

/**
 * Seconds a socket may stay silent before Deno pings it and, without a pong in that time, closes it.
 * The same 12 s keep-alive `graphql-ws/use/ws` uses on Node.
 */
const IDLE_TIMEOUT_SECONDS = 12;

/** How long `close` waits for clients to answer the 1001 close before shutting the server down. */
const CLOSE_GRACE_MS = 1000;

/**
 * Hosts `app` on `Deno.serve` (HTTP and SSE through the fetch handler) and `useDenoGraphqlWs`
 * (the graphql-ws protocol on the same path, `graphql-ws.ts`). The only place, with `main-deno.ts`, that knows it runs on Deno.
 * @throws when the port cannot be bound (Deno's `AddrInUse`, `PermissionDenied`).
 */
export async function serveDeno(app: App, options: { port: number; internal?: { port: number; host: string } }): Promise<Host> {
  const { serve, upgradeWebSocket } = deno();
  const sockets = new Set<WebSocket>();
  const handleSocket = useDenoGraphqlWs(app.graphqlWs<WebSocket>(), {
    // Deno has no maxPayload option: the size is checked here, with binary frames.
    frameRefusal: (data) => app.sockets.frameRefusal(data),
    internalError: (error) => app.sockets.internalError(error),
    settled: () => app.sockets.settled(),
    forget: (socket) => sockets.delete(socket),
  });
  const streams = new StreamTracker();
  const server = serve(
    // onListen: Deno would otherwise print "Listening on …" to stdout, between our JSON log lines.
    { port: options.port, onListen() {} },
    async (request, info) => {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket' || new URL(request.url).pathname !== app.path) {
        return streams.track(await app.fetch(request, infoOf(info, false)));
      }
      // Negotiated like `ws` does on Node (graphql-ws's own `handleProtocols`): with the protocol
      // offered, the handshake answers it; without, the socket opens and the protocol server closes it with
      // 4406. Deno's `protocol` upgrade option is not used: it splits the offer on ", " only, so the
      // offer "chat,graphql-transport-ws" (how `ws` clients send it) fails the upgrade with a 500.
      const refusal = app.sockets.refusal(request.headers.get('origin'));
      if (refusal !== undefined) return new Response(refusal.message, { status: refusal.status });
      const protocol = handleProtocols(request.headers.get('sec-websocket-protocol') ?? '');
      const { socket, response } = upgradeWebSocket(request, { idleTimeout: IDLE_TIMEOUT_SECONDS });
      // Deno leaves a server socket's `protocol` empty even when one was negotiated (graphql-ws
      // issue 587): the protocol server is handed the negotiated one, and decides on 4406 from it.
      if (protocol !== false) response.headers.set('sec-websocket-protocol', protocol);
      sockets.add(socket);
      handleSocket(socket, {
        protocol: protocol === false ? '' : protocol,
        counted: app.sockets.opened(),
        // Admission control: a refused socket is closed as soon as it opens, before the protocol server sees it.
        refusal: app.sockets.admit(),
      });
      return response;
    },
  );
  // INTERNAL_PORT: /metrics and /admin* only (the app refuses them on the public listener), no sockets.
  const internal =
    options.internal === undefined
      ? undefined
      : serve({ port: options.internal.port, hostname: options.internal.host, onListen() {} }, async (request, info) =>
          streams.track(await app.fetch(request, infoOf(info, true))),
        );
  return {
    port: server.addr.port,
    ...(internal === undefined ? {} : { internalPort: internal.addr.port }),
    async close() {
      await internal?.shutdown();
      // Let the close handshakes finish first: Deno's shutdown would otherwise close the sockets
      // with its own reason. A client that does not answer gets CLOSE_GRACE_MS.
      const closed = [...sockets].map(
        (socket) => new Promise((resolve) => socket.addEventListener('close', resolve, { once: true })),
      );
      for (const socket of sockets) socket.close(1001, 'Going away');
      const grace = AbortSignal.timeout(CLOSE_GRACE_MS);
      await Promise.race([Promise.all(closed), new Promise((resolve) => grace.addEventListener('abort', resolve))]);
      // Deno's shutdown waits for every response to finish, and SSE responses never do by themselves.
      streams.abortAll();
      await server.shutdown();
    },
  };
}

/** What the fetch handler learns of a request beyond it: its peer, and which listener took it. */
function infoOf(info: { readonly remoteAddr: { readonly hostname?: string } }, internal: boolean): { clientAddress?: string; internal: boolean } {
  const address = info.remoteAddr.hostname;
  return address === undefined ? { internal } : { clientAddress: address, internal };
}

/** The host's RSS, for the cluster status heartbeat (prom-client reads 0 on Deno: no /proc permission). */
export function denoRss(): number {
  return deno().memoryUsage().rss;
}

/** Media types of responses that stay open until the subscription ends (GraphQL over SSE, multipart). */
const STREAMING_TYPES = ['text/event-stream', 'multipart/mixed'];

/**
 * Keeps a handle on every streaming response so `close` can cut them, as Node's
 * `closeAllConnections` does: the client sees the connection fail and reconnects elsewhere.
 */
class StreamTracker {
  readonly #open = new Set<TransformStreamDefaultController<Uint8Array>>();

  /** `response` itself, or for a streaming response a copy whose body {@link abortAll} can end. */
  track(response: Response): Response {
    const type = response.headers.get('content-type') ?? '';
    if (response.body === null || !STREAMING_TYPES.some((streaming) => type.startsWith(streaming))) return response;
    // `start` runs inside the constructor, so `open` is set once `relay` exists.
    let open!: TransformStreamDefaultController<Uint8Array>;
    const relay = new TransformStream<Uint8Array, Uint8Array>({ start: (controller) => void (open = controller) });
    this.#open.add(open);
    // Ends when either side does: the source completes, or the client goes away (which cancels the
    // source, so the subscription behind it ends too).
    response.body
      .pipeTo(relay.writable)
      .catch(() => {})
      .finally(() => this.#open.delete(open));
    return new Response(relay.readable, response);
  }

  abortAll(): void {
    for (const controller of this.#open) controller.error(new Error('Going away: the server is shutting down'));
    this.#open.clear();
  }
}

/** The process interface of the command line (`cli.ts`) on Deno. */
export function denoProcess(): CliProcess {
  const api = deno();
  const encoder = new TextEncoder();
  const writeAll = (stream: { writeSync(bytes: Uint8Array): number }, text: string) => {
    let bytes = encoder.encode(text);
    while (bytes.byteLength > 0) bytes = bytes.subarray(stream.writeSync(bytes));
  };
  return {
    args: api.args,
    env(name) {
      // deno.json's task ignores (reads as unset) every variable it does not allow, so a library's
      // look at NODE_DEBUG or the like finds nothing. A variable of ours missing from that list
      // would be silently unset too: refuse to start instead (exit 78, like any configuration error).
      if (api.permissions.querySync({ name: 'env', variable: name }).state !== 'granted') {
        throw new ConfigError(name, `Cannot read ${name}: Deno does not allow it: add it to --allow-env in deno.json's start task`);
      }
      return api.env.get(name);
    },
    writeStdout: (text) => writeAll(api.stdout, text),
    writeStderr: (text) => writeAll(api.stderr, text),
    exit: (code) => api.exit(code),
    onceSignal(signal, listener) {
      const once = () => {
        api.removeSignalListener(signal, once);
        listener();
      };
      api.addSignalListener(signal, once);
    },
  };
}
