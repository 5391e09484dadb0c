import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './children.ts';
import { serviceCommand, type Runtime } from './node-process.ts';
import { TEST_JWT_SECRET } from './tokens.ts';
import { waitFor } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** setpriv's arguments that run a command as nobody. */
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** One JSON log line of the service. */
export type LogLine = Record<string, unknown> & { msg?: unknown; level?: unknown };

/**
 * The service as a process watched from its very first line, for start-up tests: unlike `startNode`
 * it does not require the node to come up, and it keeps stderr and the exit code.
 */
export interface ServiceRun {
  readonly logs: readonly LogLine[];
  readonly stderr: string;
  /** Resolves with the exit code (`null` when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** The first log line `match` accepts, once it is printed. @throws if the process exits first. */
  line(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The port from the `listening` line, once printed. */
  port(): Promise<number>;
  /** SIGTERM (if it still runs) and wait for exit. */
  stop(): Promise<number | null>;
}

/** How {@link runService} runs the service. */
export interface RunOptions {
  /** Default `'node'`. */
  readonly runtime?: Runtime;
  /** Run as the unprivileged user `nobody` (through `setpriv`; the test must run as root). */
  readonly asNobody?: boolean;
}

/** Starts the service with `env` (JWT_SECRET defaults to the test secret, PORT to 0). */
export function runService(env: Record<string, string | undefined>, options: RunOptions = {}): ServiceRun {
  const service = serviceCommand(options.runtime);
  if (options.asNobody === true) assertReadableByNobody();
  const [command, args] = options.asNobody
    ? ['setpriv', [...NOBODY, service.command, ...service.args]]
    : [service.command, service.args];
  const child = track(
    spawn(command, args, {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...service.env, PORT: '0', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info', SEND_RATE_PER_SECOND: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const logs: LogLine[] = [];
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      try {
        logs.push(JSON.parse(text) as LogLine);
      } catch {
        logs.push({ msg: text, raw: true });
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (exitCode) => {
      code = exitCode;
      resolve(exitCode);
    }),
  );
  const line = (what: string, match: (entry: LogLine) => boolean, timeoutMs = 30_000) =>
    waitFor(
      what,
      () => {
        const found = logs.find(match);
        if (found !== undefined) return found;
        if (code !== undefined) throw new Error(`the service exited (${code}) before logging ${what}; stderr: ${stderr}`);
        return undefined;
      },
      { timeoutMs },
    );
  return {
    logs,
    get stderr() {
      return stderr;
    },
    exited,
    line,
    async port() {
      const listening = await line('listening', (entry) => entry.msg === 'listening');
      return listening['port'] as number;
    },
    async stop() {
      if (code === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A JavaScript stack frame line (`    at fn (file:1:2)`), as an uncaught error prints. */
export const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/mu;

/** The lines whose `msg` `match` accepts, for "logged once" assertions. */
export function linesWith(logs: readonly LogLine[], match: (msg: string) => boolean): LogLine[] {
  return logs.filter((entry) => typeof entry.msg === 'string' && match(entry.msg));
}

/**
 * A checkout under a directory only its owner may enter (mktemp -d makes them 0700) cannot be run
 * as nobody: the service would exit before its first line. Say so instead of failing on no line.
 */
function assertReadableByNobody(): void {
  const probe = spawnSync('setpriv', [...NOBODY, 'test', '-r', `${ROOT}package.json`]);
  if (probe.status !== 0) {
    throw new Error(`Cannot run the service as nobody: ${ROOT} is not readable by other users (every directory above it needs o+x): clone it under a directory with mode 755`);
  }
}
