import { BusUnavailableError, type HistoryPage } from '../bus/bus.ts';
import { compareIds } from '../domain/cursor.ts';
import type { Message } from '../domain/message.ts';

/** Where a stream reads history from (the bus). */
export type ReadHistory = (after: string, limit: number) => Promise<HistoryPage>;

export interface MessageStreamOptions {
  readonly read: ReadHistory;
  /** History entries fetched per read while catching up. */
  readonly pageSize: number;
  /** Live messages buffered before the stream drops them and catches up from history instead. */
  readonly liveLimit: number;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd: () => void;
  /** Called when the live buffer overflowed and the stream fell back to history. */
  readonly onOverflow?: () => void;
  /**
   * How long a stream keeps retrying history reads while the bus is unavailable (e.g. Redis
   * restarting) before it gives up with the error. Default 30 000 ms.
   */
  readonly retryWindowMs?: number;
}

/**
 * One subscription's messages, gap-free and without duplicates: history after a cursor, then live.
 *
 * While *catching up*, it reads history a page at a time, only as fast as the consumer pulls, and
 * buffers live messages; once a read comes back short it goes *live*, draining the buffer and
 * skipping ids it already emitted. Every message is in history before it is live, so whenever live
 * delivery cannot be trusted — the buffer overflowed (slow consumer), or the bus lost its
 * subscription for a while (`resync`) — the stream drops back to catching up from its last id.
 * Memory per stream stays bounded by `pageSize + liveLimit`.
 *
 * A read that fails because the bus is unavailable is retried with backoff for `retryWindowMs`, so a
 * Redis restart heals without the client noticing. Any other failed read (CursorExpiredError), or
 * unavailability past the window, yields the error once, then ends.
 */
export class MessageStream implements AsyncIterableIterator<Message | Error> {
  #cursor = '';
  #catchingUp = true;
  /** Set when live delivery may have a gap since the current read began. */
  #stale = false;
  #page: Message[] = [];
  #live: Message[] = [];
  #wake: (() => void) | undefined;
  #done = false;
  readonly #options: MessageStreamOptions;

  constructor(options: MessageStreamOptions) {
    this.#options = options;
  }

  /** Starts after `cursor`: catching up from history, or live only (messages after `cursor`). */
  startAt(cursor: string, catchUp: boolean): void {
    this.#cursor = cursor;
    this.#catchingUp = catchUp;
  }

  /** Reads the first history page now, so a bad cursor fails before the subscription is returned. */
  async prime(): Promise<void> {
    const error = await this.#readPage();
    if (error !== undefined) throw error;
  }

  /** A live message from the hub. */
  push(message: Message): void {
    if (this.#done) return;
    this.#live.push(message);
    if (this.#live.length > this.#options.liveLimit) {
      this.#live = [];
      this.#catchingUp = true;
      this.#stale = true;
      this.#options.onOverflow?.();
    }
    this.#notify();
  }

  /** Live delivery may have missed messages: catch up from the last emitted id. */
  resync(): void {
    if (this.#done) return;
    this.#catchingUp = true;
    this.#stale = true;
    this.#notify();
  }

  async next(): Promise<IteratorResult<Message | Error>> {
    for (;;) {
      if (this.#done) return { value: undefined, done: true };
      const fromPage = this.#page.shift();
      if (fromPage !== undefined) return this.#emit(fromPage);
      if (this.#catchingUp) {
        const error = await this.#readPageRetrying();
        if (error !== undefined && !this.#done) {
          this.end();
          return { value: error, done: false };
        }
        continue;
      }
      let live: Message | undefined;
      while ((live = this.#live.shift()) !== undefined) {
        if (compareIds(live.id, this.#cursor) > 0) return this.#emit(live);
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  return(): Promise<IteratorResult<Message | Error>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the stream: buffers are dropped, a waiting `next()` resolves done, `onEnd` runs once. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#page = [];
    this.#live = [];
    this.#notify();
    this.#options.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async #readPageRetrying(): Promise<Error | undefined> {
    const giveUpAt = Date.now() + (this.#options.retryWindowMs ?? 30_000);
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      const error = await this.#readPage();
      if (!(error instanceof BusUnavailableError) || this.#done || Date.now() + delay > giveUpAt) return error;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.#done) return undefined;
    }
  }

  async #readPage(): Promise<Error | undefined> {
    this.#stale = false;
    let page: HistoryPage;
    try {
      page = await this.#options.read(this.#cursor, this.#options.pageSize);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    this.#page = [...page.items];
    if (!page.hasMore && !this.#stale) this.#catchingUp = false;
    return undefined;
  }

  #emit(message: Message): IteratorResult<Message> {
    this.#cursor = message.id;
    return { value: message, done: false };
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
