import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, InitCommand, Reply } from '../lib/ipc.ts';
import { nextReply } from '../lib/child-reply.ts';
import { track } from '../lib/reaper.ts';

const WORKER = fileURLToPath(new URL('../load/worker.js', import.meta.url));

type ReplyOf<T extends Reply['type']> = Extract<Reply, { type: T }>;

/** One load process and its command/reply channel (one command at a time). */
class LoadProcess {
  readonly #child: ChildProcess;
  readonly #waiting: Array<(reply: Reply) => void> = [];
  readonly exited: Promise<void>;

  constructor() {
    this.#child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    track(this.#child);
    this.#child.on('message', (reply: Reply) => this.#waiting.shift()?.(reply));
    this.exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const waiter of this.#waiting.splice(0)) waiter({ type: 'error', message: 'the load process exited' });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  async request<T extends Reply['type']>(command: Command, expect: T, timeoutMs: number): Promise<ReplyOf<T>> {
    const reply = await nextReply<Reply>(this.#child, this.#waiting, command, timeoutMs);
    if (reply.type !== expect) {
      throw new Error(`Load process failed '${command.type}': ${reply.type === 'error' ? reply.message : `unexpected '${reply.type}'`}`);
    }
    return reply as ReplyOf<T>;
  }

  kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    return this.exited;
  }
}

/**
 * The load processes of one run. Users are split into contiguous blocks, one per process, so
 * every process holds users on every node; each process sends only to its own users.
 */
export class LoadPool {
  readonly #processes: LoadProcess[];

  constructor(count: number) {
    this.#processes = Array.from({ length: count }, () => new LoadProcess());
  }

  get pids(): number[] {
    return this.#processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  /** Sends each process its init (its block of users) and waits until all are ready. */
  async init(base: Omit<InitCommand, 'type' | 'worker' | 'firstUser' | 'userCount'>, users: number): Promise<void> {
    const count = this.#processes.length;
    await Promise.all(
      this.#processes.map((p, worker) => {
        const firstUser = Math.floor((users * worker) / count);
        const userCount = Math.floor((users * (worker + 1)) / count) - firstUser;
        return p.request({ type: 'init', worker, firstUser, userCount, ...base }, 'ready', 120_000);
      }),
    );
  }

  /** Sends `command` to every process at once; resolves with each reply. */
  all<T extends Reply['type']>(command: Command, expect: T, timeoutMs: number): Promise<Array<ReplyOf<T>>> {
    return Promise.all(this.#processes.map((p) => p.request(command, expect, timeoutMs)));
  }

  /** Closes the clients politely, then ends the processes. */
  async close(): Promise<void> {
    await this.all({ type: 'close' }, 'closed', 30_000).catch(() => undefined);
    await Promise.all(this.#processes.map((p) => p.kill()));
  }
}
