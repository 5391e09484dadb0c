import { fork, type ChildProcess } from 'node:child_process';
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

  constructor() {
    // 20,000 descriptors per process here: each worker holds at most a few thousand sockets.
    this.#child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    track(this.#child);
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

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}

/** The load processes of one storm run. */
export class WorkerPool {
  readonly workers: Worker[];

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => new Worker());
  }

  /** Sends `command(i)` to every worker and resolves with every reply. */
  all<T extends Reply['type']>(command: (worker: number) => Command, expect: T, timeoutMs: number): Promise<Array<ReplyOf<T>>> {
    return Promise.all(this.workers.map((worker, i) => worker.request(command(i), expect, timeoutMs)));
  }

  close(): void {
    for (const worker of this.workers) worker.kill();
  }
}
