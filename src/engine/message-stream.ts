import { BusUnavailableError, type HistoryPage } from '../bus/bus.ts';
import { compareIds } from '../domain/cursor.ts';
import { byteLength, type Message } from '../domain/message.ts';

/**
 * Who watches what a stream owes its consumer (the slow-consumer rule, `security/backlog.ts`): the
 * stream reports the estimated frame bytes of messages that reached it and were not yet handed over.
 */
export interface StreamBacklog {
  /** `bytes` more (or, negative, fewer) are owed. */
  add(bytes: number): void;
  attach(stream: MessageStream): void;
  detach(stream: MessageStream): void;
}

/**
 * What `push` did with a live message: handed it to the sink; queued it (behind a catch-up or
 * earlier messages); dropped the live queue (overflow: the stream catches up from history); or
 * nothing (the stream ended, or had the message already).
 */
export type PushOutcome = 'delivered' | 'buffered' | 'dropped' | 'ignored';

/**
 * Estimated size of a message's graphql-ws `next` frame: its strings plus the fixed JSON around them
 * (`{"id":…,"type":"next","payload":{"data":{"messageReceived":{…}}}}` is about 160 bytes).
 */
function frameBytes(message: Message): number {
  return 160 + message.id.length + message.sentAt.length + byteLength(message.fromUserId) + byteLength(message.toUserId) + byteLength(message.body);
}

/** Where a stream reads its user's history from (the bus). */
type ReadHistory = (userId: string, after: string, limit: number) => Promise<HistoryPage>;

/**
 * Where a pushed stream's events go (see {@link MessageStream.drive}), and who is told once that the
 * stream is over. Told through calls rather than a promise: a parked stream has nothing pending.
 */
export interface StreamSink {
  /**
   * One event. A promise when the consumer wants the stream to wait before the next history event
   * (its socket's buffer is full), `undefined` to go on at once. A failure (an `Error` event) is the
   * last event.
   */
  next(event: Message | Error): Promise<void> | undefined;
  /** The stream ended after its last event (a failure, or {@link MessageStream.end}). */
  ended(): void;
  /** `next` threw (or its promise rejected) with `error`; the stream has been ended. */
  failed(error: unknown): void;
}

/**
 * What every stream of one hub shares (one object for all of them: a stream is kept as long as its
 * subscription). What differs per stream — its user, its backlog — is the constructor's.
 */
export interface MessageStreamOptions {
  readonly read: ReadHistory;
  /** History entries fetched per read while catching up. */
  readonly pageSize: number;
  /** Live messages buffered before the stream drops them and catches up from history instead. */
  readonly liveLimit: number;
  /** Called once when a stream ends, however it ends. */
  readonly onEnd: (stream: MessageStream) => void;
  /** Called when the live buffer overflowed and the stream fell back to history. */
  readonly onOverflow?: () => void;
  /**
   * How long a stream keeps retrying history reads while the bus is unavailable (e.g. Redis
   * restarting) before it gives up with the error. Default 30 000 ms.
   */
  readonly retryWindowMs?: number;
  /** Called for every message handed to the consumer (delivery metrics): read from history, or live. */
  readonly onEmit?: (message: Message, fromHistory: boolean) => void;
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
  /** Live delivery has a gap since the bus lost its subscription: emit nothing live until `resync`. */
  #held = false;
  #page: Message[] = [];
  #live: Message[] = [];
  #wake: (() => void) | undefined;
  /** The pushed stream's sink ({@link drive}), until it has been told the stream is over. */
  #sink: StreamSink | undefined;
  /** The pushed stream's driver is running ({@link #run}). */
  #driving = false;
  /**
   * The consumer waits in {@link next} for a live message with nothing buffered, nothing held and
   * nothing to catch up: a pushed message can go straight to the sink. Cleared by every wake-up.
   */
  #parked = false;
  #done = false;
  /** Set by {@link fail}: yielded next, then the stream ends. */
  #failure: Error | undefined;
  /**
   * Frame bytes of live messages that reached this stream and were not emitted yet, whether still
   * buffered or dropped on overflow (to be re-read from history): pushes add, emits subtract. It is
   * clamped at 0, so history emitted on a resume (never pushed) does not count against later pushes.
   */
  #owed = 0;
  /** Whose messages these are. */
  readonly userId: string;
  readonly #options: MessageStreamOptions;
  /** Told how many bytes the stream owes its consumer. */
  readonly #backlog: StreamBacklog | undefined;

  constructor(userId: string, options: MessageStreamOptions, backlog?: StreamBacklog) {
    this.userId = userId;
    this.#options = options;
    this.#backlog = backlog;
    backlog?.attach(this);
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

  /**
   * Pushes every event to `sink` from now on instead of waiting to be pulled, and tells it once when
   * the stream is over: `ended` after its last event (a failure, or {@link end}), `failed` when the
   * sink threw (the stream ends then, too).
   *
   * The driver ({@link #run}) runs only while there is something to do: catching up, draining what
   * was buffered, a failure or the end to hand over. Live and idle, it stops instead of waiting in
   * {@link next}, `push` hands messages to the sink itself, and {@link #notify} starts the driver
   * again — so a parked stream holds no suspended call (most sockets, most of the time).
   */
  drive(sink: StreamSink): void {
    this.#sink = sink;
    this.#startDriver();
  }

  /** A live message from the hub. */
  push(message: Message): PushOutcome {
    if (this.#done) return 'ignored';
    const sink = this.#sink;
    if (this.#parked && sink !== undefined && !this.#held && !this.#catchingUp) {
      // Live and idle: straight to the sink (a live frame is not held back for a full socket buffer;
      // the slow-consumer rule bounds what a socket may owe).
      if (compareIds(message.id, this.#cursor) <= 0) return 'ignored';
      this.#cursor = message.id;
      this.#options.onEmit?.(message, false);
      try {
        void sink.next(message);
      } catch (error) {
        this.#sinkFailed(sink, error);
        return 'ignored';
      }
      return 'delivered';
    }
    this.#owe(frameBytes(message));
    this.#live.push(message);
    let outcome: PushOutcome = 'buffered';
    if (this.#live.length > this.#options.liveLimit) {
      this.#live = [];
      this.#catchingUp = true;
      this.#stale = true;
      this.#options.onOverflow?.();
      outcome = 'dropped';
    }
    this.#notify();
    return outcome;
  }

  /** Live delivery may have missed messages: catch up from the last emitted id. */
  resync(): void {
    if (this.#done) return;
    this.#held = false;
    this.#catchingUp = true;
    this.#stale = true;
    this.#notify();
  }

  /**
   * The bus lost its subscription (the pub/sub connection dropped): hold live delivery — buffer, emit
   * nothing live — until `resync`, which back-fills from the last emitted id first.
   */
  hold(): void {
    if (this.#done) return;
    this.#held = true;
  }

  /** Yields `error` next (ahead of anything buffered), then ends; e.g. a slow consumer is cut off. */
  fail(error: Error): void {
    if (this.#done || this.#failure !== undefined) return;
    this.#failure = error;
    this.#notify();
  }

  async next(): Promise<IteratorResult<Message | Error>> {
    for (;;) {
      if (this.#done) return { value: undefined, done: true };
      const failure = this.#failure;
      if (failure !== undefined) {
        this.end();
        return { value: failure, done: false };
      }
      const fromPage = this.#page.shift();
      if (fromPage !== undefined) return this.#emit(fromPage, true);
      if (this.#held) {
        // A later live message must not move the cursor past one missed while the bus was away.
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
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
        if (compareIds(live.id, this.#cursor) > 0) return this.#emit(live, false);
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#parked = true;
      });
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
    this.#owe(-this.#owed);
    this.#backlog?.detach(this);
    this.#notify();
    this.#options.onEnd(this);
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
      page = await this.#options.read(this.userId, this.#cursor, this.#options.pageSize);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    this.#page = [...page.items];
    if (!page.hasMore && !this.#stale) this.#catchingUp = false;
    return undefined;
  }

  #emit(message: Message, fromHistory: boolean): IteratorResult<Message> {
    this.#cursor = message.id;
    this.#owe(-frameBytes(message));
    this.#options.onEmit?.(message, fromHistory);
    return { value: message, done: false };
  }

  #owe(bytes: number): void {
    const owed = Math.max(0, this.#owed + bytes);
    const delta = owed - this.#owed;
    this.#owed = owed;
    if (delta !== 0) this.#backlog?.add(delta);
  }

  #notify(): void {
    this.#parked = false;
    const wake = this.#wake;
    this.#wake = undefined;
    if (wake !== undefined) wake();
    else this.#startDriver();
  }

  /** Starts the pushed stream's driver unless it runs already (or the stream is pulled, or over). */
  #startDriver(): void {
    const sink = this.#sink;
    if (sink === undefined || this.#driving) return;
    this.#driving = true;
    // Either is told only while `sink` is still the stream's: a `push` whose sink threw has told it.
    this.#run(sink).then(
      (ended) => {
        if (!ended || this.#sink !== sink) return;
        this.#sink = undefined;
        sink.ended();
      },
      (error: unknown) => {
        if (this.#sink === sink) this.#sinkFailed(sink, error);
      },
    );
  }

  /** The sink threw: the stream ends, and the sink is told why (not `ended`). */
  #sinkFailed(sink: StreamSink, error: unknown): void {
    this.#sink = undefined;
    this.end();
    sink.failed(error);
  }

  /**
   * Hands events to the sink until the stream is live and idle (false: `push` takes over, parked)
   * or has ended (true). It clears {@link #driving} as it stops, in the same turn, so a
   * {@link #notify} right after starts a new driver.
   */
  async #run(sink: StreamSink): Promise<boolean> {
    try {
      for (;;) {
        if (this.#idle()) {
          this.#parked = true;
          return false;
        }
        const result = await this.next();
        if (result.done === true) return true;
        const pending = sink.next(result.value);
        if (pending !== undefined) await pending;
      }
    } finally {
      this.#driving = false;
    }
  }

  /** Live, with nothing to read, hand over or wait for: what `push` may deliver straight to the sink. */
  #idle(): boolean {
    return !this.#done && this.#failure === undefined && !this.#held && !this.#catchingUp && this.#page.length === 0 && this.#live.length === 0;
  }
}
