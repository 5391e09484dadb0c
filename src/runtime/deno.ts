import { handleProtocols } from 'graphql-ws';
import { makeHandler, type Extra } from 'graphql-ws/use/deno';
import type { App } from '../app.ts';
import type { CliProcess, Host } from '../cli.ts';

/**
 * The part of the `Deno` namespace this adapter uses. Declared here, not through `@types`-style
 * globals, so the rest of the code base (type-checked for Node) never sees `Deno`.
 */
interface DenoApi {
  readonly args: readonly string[];
  readonly env: { get(name: string): string | undefined };
  readonly stdout: { writeSync(bytes: Uint8Array): number };
  readonly stderr: { writeSync(bytes: Uint8Array): number };
  exit(code: number): never;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', listener: () => void): void;
  removeSignalListener(signal: 'SIGTERM' | 'SIGINT', listener: () => void): void;
  serve(
    options: { port: number; hostname?: string; onListen?: (addr: unknown) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { readonly addr: { readonly port: number }; shutdown(): Promise<void> };
  upgradeWebSocket(
    request: Request,
    options: { protocol?: string; idleTimeout?: number },
  ): { socket: WebSocket; response: Response };
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

/**
 * Hosts `app` on `Deno.serve` (HTTP and SSE through the fetch handler) and `graphql-ws/use/deno`
 * (graphql-ws on the same path). The only place, with `main-deno.ts`, that knows it runs on Deno.
 * @throws when the port cannot be bound (Deno's `AddrInUse`, `PermissionDenied`).
 */
export async function serveDeno(app: App, options: { port: number; hostname?: string }): Promise<Host> {
  const { serve, upgradeWebSocket } = deno();
  const handleSocket = makeHandler(app.graphqlWs<Extra>());
  const sockets = new Set<WebSocket>();
  const server = serve(
    // onListen: Deno would otherwise print "Listening on …" to stdout, between our JSON log lines.
    { port: options.port, ...(options.hostname === undefined ? {} : { hostname: options.hostname }), onListen() {} },
    (request) => {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket' || new URL(request.url).pathname !== app.path) {
        return app.fetch(request);
      }
      // Deno selects no subprotocol by itself, and graphql-ws closes a socket whose protocol is not
      // graphql-transport-ws with 4406. Accept it when the client offers it; otherwise upgrade
      // without one so graphql-ws closes with 4406, as `ws` on Node does.
      const protocol = handleProtocols(request.headers.get('sec-websocket-protocol') ?? '');
      const { socket, response } = upgradeWebSocket(request, {
        idleTimeout: IDLE_TIMEOUT_SECONDS,
        ...(protocol === false ? {} : { protocol }),
      });
      // Deno answers the handshake with the protocol but leaves the server socket's `protocol`
      // empty (graphql-ws issue 587), which graphql-ws would refuse with 4406: say it on the socket.
      if (protocol !== false) Object.defineProperty(socket, 'protocol', { value: protocol });
      sockets.add(socket);
      socket.addEventListener('close', () => sockets.delete(socket));
      handleSocket(socket);
      return response;
    },
  );
  return {
    port: server.addr.port,
    async close() {
      for (const socket of sockets) socket.close(1001, 'Going away');
      await server.shutdown();
    },
  };
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
    env: (name) => api.env.get(name),
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
