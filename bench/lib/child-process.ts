import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { track } from './reaper.ts';

/** A child process the orchestrator started, with its last output lines for error reports. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** The last lines the process wrote (stdout and stderr), newest last. */
  readonly tail: string[];
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Working directory (this process's when absent). */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Resolves the start once a line satisfies it; its return value is handed back. */
  readonly ready: (line: string) => number | undefined;
  readonly timeoutMs: number;
}

const TAIL_LINES = 30;

/**
 * Spawns a process and waits until one of its output lines passes `ready`. Output keeps being
 * read afterwards (a full pipe would stall the process); only the last lines are kept.
 * @throws when the process exits or the timeout passes before it is ready.
 */
export async function startChild(options: StartOptions): Promise<{ child: Child; value: number }> {
  const proc: ChildProcess = spawn(options.command, options.args, {
    env: { ...process.env, ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(proc);
  const tail: string[] = [];
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let onReady: ((value: number) => void) | undefined;
  const readyValue = new Promise<number>((resolve) => (onReady = resolve));
  for (const stream of [proc.stdout, proc.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      const value = onReady === undefined ? undefined : options.ready(line);
      if (value !== undefined) {
        onReady?.(value);
        onReady = undefined;
      }
    });
  }
  const stop = async (graceMs = 5000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const failure = (why: string) =>
    new Error(`Cannot start ${options.name}: ${why}: last output:\n  ${tail.join('\n  ') || '(none)'}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      readyValue,
      exited.then(() => Promise.reject(failure(`it exited with ${proc.exitCode ?? proc.signalCode}`))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(failure(`not ready after ${options.timeoutMs} ms`)), options.timeoutMs);
      }),
    ]);
    if (proc.pid === undefined) throw failure('it has no pid');
    return { child: { name: options.name, pid: proc.pid, tail, exited, stop }, value };
  } catch (error) {
    await stop(1000);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
