import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nextReply } from '../lib/child-reply.ts';
import { track } from '../lib/reaper.ts';
import type { Command, Reply } from './ipc.ts';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

type ReplyOf<T extends Reply['type']> = Extract<Reply, { type: T }>;

/** One storm load process and its command/reply channel (one command at a time). */
class Worker {
  readonly #child: ChildProcess;
  readonly #waiting: Array<(reply: Reply) => void> = [];

  constructor(profileDir: string | undefined, nice: number) {
    // 20,000 descriptors per process here: each worker holds at most a few thousand sockets.
    const execArgv = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
    this.#child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    track(this.#child);
    if (nice !== 0 && this.#child.pid !== undefined) setPriority(this.#child.pid, nice);
    this.#child.on('message', (reply: Reply) => this.#waiting.shift()?.(reply));
    this.#child.once('exit', () => {
      for (const waiter of this.#waiting.splice(0)) waiter({ type: 'error', message: 'the load process exited' });
    });
  }

  async request<T extends Reply['type']>(command: Command, expect: T, timeoutMs: number): Promise<ReplyOf<T>> {
    const reply = await nextReply<Reply>(this.#child, this.#waiting, command, timeoutMs);
    if (reply.type !== expect) {
      throw new Error(`Cannot run '${command.type}' in a load process: ${reply.type === 'error' ? reply.message : `unexpected reply '${reply.type}'`}`);
    }
    return reply as ReplyOf<T>;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Lets the process end by itself (it exits once its IPC channel closes; a profiled one writes its profile), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** The load processes of one storm run. */
export class WorkerPool {
  readonly workers: Worker[];

  /**
   * @param nice the scheduling priority of each load process (`nice(i)`; index `count` is never asked for).
   * @param profileDir where each load process writes its `--cpu-prof`, when set.
   */
  constructor(count: number, nice: (worker: number) => number, profileDir?: string) {
    this.workers = Array.from({ length: count }, (_, i) => new Worker(profileDir, nice(i)));
  }

  /** Sends `command(i)` to every worker and resolves with every reply. */
  all<T extends Reply['type']>(command: (worker: number) => Command, expect: T, timeoutMs: number): Promise<Array<ReplyOf<T>>> {
    return Promise.all(this.workers.map((worker, i) => worker.request(command(i), expect, timeoutMs)));
  }

  /** Process ids of the load processes. */
  get pids(): number[] {
    return this.workers.flatMap((worker) => (worker.pid === undefined ? [] : [worker.pid]));
  }

  close(): Promise<void> {
    return Promise.all(this.workers.map((worker) => worker.stop(3000))).then(() => {});
  }
}
