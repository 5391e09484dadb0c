import { pino } from 'pino';
import { createApp, type App } from './app.ts';
import { CONFIG_VARIABLES, ConfigError, parseConfig, type Config } from './config.ts';

/** What the command line needs from the process it runs in; each runtime entry provides one. */
export interface CliProcess {
  /** The arguments after the program (and, on Node, after the script path). */
  readonly args: readonly string[];
  /** Reads one environment variable; only names from {@link CONFIG_VARIABLES} are asked for. */
  env(name: string): string | undefined;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  exit(code: number): never;
  /** Calls `listener` once when the process receives `signal`. */
  onceSignal(signal: 'SIGTERM' | 'SIGINT', listener: () => void): void;
}

/** A server that hosts an {@link App} on this runtime (`serveNode`, `serveDeno`). */
export interface Host {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /**
   * Drains: stops accepting connections, closes every WebSocket with 1001 (going away), waits for
   * in-flight HTTP exchanges (sends) to finish, cuts streaming responses (SSE), then closes.
   */
  close(): Promise<void>;
}

export type Serve = (app: App, options: { port: number }) => Promise<Host>;

/** Exit code for a configuration error (EX_CONFIG from sysexits.h). */
export const EXIT_CONFIG = 78;

/**
 * The service's command line, the same on every runtime: `--help` prints the variables; otherwise
 * it parses the configuration (exit {@link EXIT_CONFIG} with a message on a bad value), starts a
 * node, serves it with `serve`, logs `listening` with the bound port, and on SIGTERM or SIGINT
 * closes the host, stops the node and exits 0.
 * @throws whatever starting the node or the host throws (not a configuration error).
 */
export async function runCli(proc: CliProcess, serve: Serve): Promise<void> {
  if (proc.args.includes('--help') || proc.args.includes('-h')) {
    const width = Math.max(...CONFIG_VARIABLES.map((v) => v.name.length));
    proc.writeStdout(
      'switchboard: clustered GraphQL subscriptions service\n\nEnvironment variables:\n' +
        CONFIG_VARIABLES.map((v) => `  ${v.name.padEnd(width)}  ${v.description}`).join('\n') +
        '\n',
    );
    proc.exit(0);
  }

  let config: Config;
  try {
    // Only the named variables are read: Deno grants access to exactly these.
    config = parseConfig(Object.fromEntries(CONFIG_VARIABLES.map(({ name }) => [name, proc.env(name)])));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    proc.writeStderr(`switchboard: ${error.message}\n`);
    proc.exit(EXIT_CONFIG);
  }

  const logger = pino({ level: config.logLevel, base: { service: 'switchboard' } });
  const app = createApp(config, { logger, processMetrics: true });
  await app.start();
  const host = await serve(app, { port: config.port });
  logger.info({ nodeId: config.nodeId, port: host.port, path: app.path }, 'listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    // Whatever hangs (a client that never finishes a request, Redis not answering), the process
    // exits within SHUTDOWN_TIMEOUT_MS.
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out: exiting anyway');
      proc.exit(1);
    }, config.shutdownTimeoutMs);
    app.drain(); // readiness goes false first, so load balancers stop sending new traffic
    await host.close(); // no new connections; sockets get 1001; in-flight sends finish
    await app.stop(); // remaining streams end, Redis closes after its pending replies
    clearTimeout(deadline);
    logger.info({}, 'shut down');
    proc.exit(0);
  };
  proc.onceSignal('SIGTERM', () => void stop('SIGTERM'));
  proc.onceSignal('SIGINT', () => void stop('SIGINT'));
}
