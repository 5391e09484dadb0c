import { pino, type Logger } from 'pino';
import { VERSION } from '../observability/version.generated.ts';
import { createTracing } from '../tracing/create-tracing.ts';
import { disabledTracing, type Tracing } from '../tracing/tracing.ts';
import type { WebAssets } from '../transport/http/web-assets.ts';
import { createApp, type App } from './create-app.ts';
import { describeError, targetVariable } from '../redis/faults.ts';
import { CONFIG_VARIABLES, ConfigError, parseConfig, type Config } from './config.ts';
import { EXIT, listenFailure, startFailure, startupTimeout, unexpected, type Fatal } from './exit-codes.ts';

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
  /** Calls `listener` with an error nothing handled (an unhandled rejection, an uncaught exception). */
  onUnexpectedError?(listener: (error: unknown) => void): void;
}

/** A server that hosts an {@link App} on this runtime (`serveNode`, `serveDeno`). */
export interface Host {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** INTERNAL_PORT's port actually bound, when it is set. */
  readonly internalPort?: number;
  /**
   * Drains: stops accepting connections, closes every WebSocket with 1001 (going away), waits for
   * in-flight HTTP exchanges (sends) to finish, cuts streaming responses (SSE), then closes.
   */
  close(): Promise<void>;
}

export type Serve = (app: App, options: { port: number; internal?: { port: number; host: string } }) => Promise<Host>;

/** Exit code for a configuration error (EX_CONFIG from sysexits.h). Every exit code: {@link EXIT}. */
const EXIT_CONFIG = EXIT.config;

/**
 * The service's command line, the same on every runtime: `--help` prints the variables; otherwise
 * it parses the configuration (exit {@link EXIT_CONFIG} with a message on a bad value), starts
 * connecting the node and serves it with `serve` at once, logs `listening` with the bound port once
 * the node is started or waiting for Redis, and on SIGTERM or SIGINT closes the host, stops the node
 * and exits 0. While it waits for Redis, `/health` answers 200 and `/ready` 503; past
 * STARTUP_TIMEOUT_MS (when set) it exits {@link EXIT}.unavailable.
 *
 * It never throws: a fault that ends the process (the port, Redis refusing the node, a bug) is one
 * fatal log line that says what failed and what to do, and an exit code from {@link EXIT}.
 */
/** What an entry hands the app besides its process: the pages' bundles, the host's readings for the heartbeat. */
export interface HostExtras {
  readonly webAssets?: WebAssets;
  /** The node's tracing (runCli makes it from OTEL_*; entries never pass one). */
  readonly tracing?: Tracing;
  readonly rssBytes?: () => number;
  readonly eventLoopDelayMs?: () => number;
}

export async function runCli(proc: CliProcess, serve: Serve, extras: HostExtras = {}): Promise<void> {
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
    proc.writeStderr(`switchboard: ${error instanceof ConfigError ? error.message : `Cannot read the configuration: ${describeError(error)}`}\n`);
    proc.exit(error instanceof ConfigError ? EXIT_CONFIG : EXIT.software);
  }

  // Lines written while a span is active carry its trace_id and span_id (the tracing comes next,
  // since it logs through this logger).
  let tracing: Tracing = disabledTracing;
  // Synchronous writes, as Node's own stdout to a pipe: nothing waits in a buffer, so nothing has to
  // be flushed at exit. pino's default destination buffers, and flushes at exit synchronously, and
  // when the log's reader has gone (EPIPE) sonic-boom retries that flush forever: a node told to stop
  // never exited (test/app/drain.test.ts). Written synchronously, the EPIPE comes back at once, and pino
  // stops writing.
  const logger = pino({ level: config.logLevel, base: { service: 'switchboard' }, mixin: () => tracing.logFields() ?? {} }, pino.destination({ fd: 1, sync: true }));
  const fail = (fatal: Fatal): never => {
    // LOG_LEVEL=silent drops even fatal lines: then the line goes to stderr, as a configuration error's does.
    if (logger.isLevelEnabled('fatal')) logger.fatal({ nodeId: config.nodeId, ...fatal.fields }, fatal.message);
    else proc.writeStderr(`switchboard: ${fatal.message}\n`);
    return proc.exit(fatal.exitCode);
  };
  // A bug: still one line (the stack goes into a field of it, not onto stderr), and a documented code.
  proc.onUnexpectedError?.((error) => fail(unexpected(error)));
  try {
    tracing = await createTracing(config.tracing, { nodeId: config.nodeId, version: VERSION, logger });
    if (tracing.enabled) logger.info({ endpoint: config.tracing?.url, protocol: config.tracing?.protocol, sampler: config.tracing?.sampler }, 'tracing on');
    await serveAndStart(proc, serve, config, logger, fail, { ...extras, tracing });
  } catch (error) {
    fail(startFailure(error, undefined));
  }
}

async function serveAndStart(
  proc: CliProcess,
  serve: Serve,
  config: Config,
  logger: Logger,
  fail: (fatal: Fatal) => never,
  extras: HostExtras,
): Promise<void> {
  const variable = config.redis === undefined ? undefined : targetVariable(config.redis);
  const app = createApp(config, { logger, processMetrics: true, ...extras });
  let stopping = false;
  let firstFailure: unknown;
  let signalWaiting: () => void = () => {};
  const waiting = new Promise<'waiting'>((resolve) => (signalWaiting = () => resolve('waiting')));
  const starting = app.start({
    onWaiting: (error) => {
      firstFailure = error;
      signalWaiting();
    },
  });
  const outcome = starting.then(
    () => 'started' as const,
    (error: unknown) => ({ error }),
  );
  const startupTimer =
    config.startupTimeoutMs > 0 && variable !== undefined
      ? setTimeout(() => {
          if (!stopping) fail(startupTimeout(config.startupTimeoutMs, variable, firstFailure));
        }, config.startupTimeoutMs)
      : undefined;

  let host: Host;
  try {
    host = await serve(app, {
      port: config.port,
      ...(config.internalPort === undefined ? {} : { internal: { port: config.internalPort, host: config.internalHost } }),
    });
  } catch (error) {
    // Node's listen error names the port that failed (PORT or INTERNAL_PORT).
    const port = (error as { port?: unknown }).port;
    return fail(listenFailure(error, typeof port === "number" ? port : config.port));
  }
  const first = await Promise.race([outcome, waiting]);
  if (typeof first === 'object') return fail(startFailure(first.error, variable));
  logger.info(
    { nodeId: config.nodeId, port: host.port, ...(host.internalPort === undefined ? {} : { internalPort: host.internalPort }), path: app.path, ready: first === 'started' },
    'listening',
  );
  void outcome.then((result) => {
    clearTimeout(startupTimer);
    if (typeof result === 'object' && !stopping) fail(startFailure(result.error, variable));
  });

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(startupTimer);
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
    await extras.tracing?.shutdown(); // the last spans, within the exporter's timeout
    clearTimeout(deadline);
    logger.info({}, 'shut down');
    proc.exit(0);
  };
  const stopOn = (signal: 'SIGTERM' | 'SIGINT') => () =>
    void stop(signal).catch((error: unknown) => {
      logger.error({ err: describeError(error) }, 'shutdown failed: exiting anyway');
      proc.exit(1);
    });
  proc.onceSignal('SIGTERM', stopOn('SIGTERM'));
  proc.onceSignal('SIGINT', stopOn('SIGINT'));
}
