import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { track } from './children.ts';
import { TEST_JWT_SECRET } from './tokens.ts';
import { waitFor } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Which runtime hosts a node: Node (`node dist/main.js`) or Deno (deno.json's `start` task). */
export type Runtime = 'node' | 'deno';

export interface RuntimeOptions {
  /** Default `'node'`. */
  readonly runtime?: Runtime;
}

/**
 * The command that starts the service on `runtime`. For Deno it is deno.json's `start` task,
 * word for word (the deno binary from the npm package and the permission flags), run directly
 * rather than through `deno task` so signals reach the service itself.
 */
export function serviceCommand(runtime: Runtime = 'node'): { command: string; args: string[]; env: Record<string, string | undefined> } {
  if (runtime === 'node') return { command: process.execPath, args: [MAIN], env: {} };
  const config = JSON.parse(readFileSync(new URL('../../deno.json', import.meta.url), 'utf8')) as { tasks: { start: string } };
  const [binary, ...args] = config.tasks.start.split(/\s+/u);
  return {
    command: fileURLToPath(new URL(binary as string, new URL('../../', import.meta.url))),
    args,
    // Deno needs a home for its module cache; no colour codes in what tests read; no update check.
    env: { HOME: process.env['HOME'], DENO_DIR: process.env['DENO_DIR'], NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  };
}

/** A switchboard node running as its own OS process (Node: compiled `dist/main.js`; Deno: `src/main-deno.ts`). */
export interface NodeProcess {
  readonly nodeId: string;
  /** The OS process id (for /proc/<pid>/status readings). */
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>/graphql` */
  readonly url: string;
  /** `ws://127.0.0.1:<port>/graphql` */
  readonly wsUrl: string;
  /** Every JSON log line the process printed so far. */
  readonly logs: ReadonlyArray<Record<string, unknown>>;
  /** The exit code once the process has exited; `null` while it runs or when a signal ended it. */
  readonly exitCode: number | null;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Stops reading the process's stdout and stderr and closes them: its log's reader has gone. */
  closeOutput(): void;
}

/**
 * Starts `node dist/main.js` (or, with `runtime: 'deno'`, `src/main-deno.ts` on Deno) with `env` on
 * a free port (JWT_SECRET defaults to the test secret, LOG_LEVEL to info) and resolves once it logs
 * `listening`.
 */
export async function startNode(env: Record<string, string | undefined> = {}, options: RuntimeOptions = {}): Promise<NodeProcess> {
  const nodeId = env['NODE_ID'] ?? `test-${Math.random().toString(36).slice(2, 8)}`;
  const service = serviceCommand(options.runtime);
  const child: ChildProcess = track(spawn(service.command, service.args, {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'],
      ...service.env,
      PORT: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      NODE_ID: nodeId,
      // Suites send far faster than a person; the rate limit has its own tests (test/security/).
      SEND_RATE_PER_SECOND: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let port: number;
  try {
    port = await waitFor(`node ${nodeId} to listen`, () => {
      if (child.exitCode !== null) throw new Error(`node ${nodeId} exited with ${child.exitCode}: ${stderr}`);
      const line = logs.find((entry) => entry['msg'] === 'listening');
      return typeof line?.['port'] === 'number' ? line['port'] : undefined;
    });
  } catch (error) {
    child.kill('SIGKILL'); // never leave a half-started node behind
    throw error;
  }
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    nodeId,
    pid: child.pid ?? -1,
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    logs,
    get exitCode() {
      return child.exitCode;
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    closeOutput() {
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}

/** Runs `dist/main.js` (or the Deno entry) with `env` and `args` to completion; for start-up failures and `--help`. */
export function runMain(
  env: Record<string, string>,
  args: string[] = [],
  options: RuntimeOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const service = serviceCommand(options.runtime);
  return new Promise((resolve) => {
    const child = spawn(service.command, [...service.args, ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...service.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
