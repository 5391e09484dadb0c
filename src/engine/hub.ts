import type { Bus } from '../bus/bus.ts';
import type { DeliveryTally, Message } from '../domain/message.ts';
import type { Metrics } from '../observability/metrics.ts';
import { SmallSet } from '../util/small-set.ts';
import { MessageStream, type MessageStreamOptions, type StreamBacklog } from './message-stream.ts';

export interface HubOptions {
  /** History entries read per page while a stream catches up. Default 100. */
  readonly pageSize?: number;
  /** Live messages a stream buffers before it falls back to history. Default 1000. */
  readonly liveLimit?: number;
  readonly metrics?: Metrics;
  /** Epoch milliseconds, for the delivery latency metric. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The node's local dispatch: a map from user id to that user's live streams on this node.
 * Delivering costs O(recipient's local sessions); a message for a user with none here is dropped
 * after one map lookup. The hub tells the bus which users it holds (attach on the first local
 * stream, detach after the last) and keeps those calls ordered per user.
 */
export class Hub {
  readonly #sessions = new Map<string, SmallSet<MessageStream>>();
  /** Users the bus is attached for (or being attached), as last requested. */
  readonly #attached = new Set<string>();
  /** Per user, the tail of the chain of attach/detach calls, so they never overtake each other. */
  readonly #syncing = new Map<string, Promise<void>>();
  readonly #bus: Bus;
  readonly #metrics: Metrics['delivery'] | undefined;
  readonly #now: () => number;
  /** One options object, with one function of each kind, for every stream: a stream passes itself. */
  readonly #streamOptions: MessageStreamOptions;

  constructor(bus: Bus, options: HubOptions = {}) {
    this.#bus = bus;
    this.#metrics = options.metrics?.delivery;
    this.#now = options.now ?? Date.now;
    this.#streamOptions = {
      read: (userId, after, limit) => this.#bus.read(userId, after, limit),
      pageSize: options.pageSize ?? 100,
      liveLimit: options.liveLimit ?? 1000,
      onEnd: (stream) => this.#remove(stream.userId, stream),
      onOverflow: () => {
        this.#metrics?.overflowDropped.inc();
        this.#metrics?.overflowBackfills.inc();
      },
      onEmit: (message, fromHistory) => {
        if (this.#metrics === undefined) return;
        this.#metrics.delivered.inc();
        (fromHistory ? this.#metrics.historyLatency : this.#metrics.liveLatency).observe(this.#age(message));
      },
    };
  }

  /** Users with at least one live stream on this node. */
  get userCount(): number {
    return this.#sessions.size;
  }

  /** Live streams on this node. */
  get subscriptionCount(): number {
    let count = 0;
    for (const streams of this.#sessions.values()) count += streams.size;
    return count;
  }

  /**
   * Starts a stream of `userId`'s messages: every retained one after `after`, then live; without
   * `after`, live only. Resolves once the bus delivers the user's messages here.
   * @throws {BusUnavailableError} when the bus could not attach or read.
   * @throws {CursorExpiredError} when messages after `after` were dropped by retention.
   * @param options.backlog told what the stream owes its consumer (the slow-consumer rule).
   */
  async subscribe(userId: string, after?: string, options: { backlog?: StreamBacklog | undefined } = {}): Promise<MessageStream> {
    const stream = new MessageStream(userId, this.#streamOptions, options.backlog);
    let streams = this.#sessions.get(userId);
    if (streams === undefined) {
      streams = new SmallSet();
      this.#sessions.set(userId, streams);
    }
    streams.add(stream);
    // Listen first, then look at history: a message sent in between is buffered live and
    // de-duplicated by id, so nothing falls between the two.
    try {
      await this.#sync(userId);
      if (after === undefined) {
        stream.startAt(await this.#bus.tail(userId), false);
      } else {
        stream.startAt(after, true);
        this.#metrics?.resumeBackfills.inc();
        await stream.prime();
      }
    } catch (error) {
      stream.end();
      throw error;
    }
    return stream;
  }

  /**
   * Hands a message from the bus to every local stream of its recipient; with `tally` (the
   * delivery span's), counts what each stream did with it.
   */
  deliver(message: Message, tally?: DeliveryTally): void {
    if (this.#metrics !== undefined) {
      this.#metrics.busReceived.inc();
      this.#metrics.busLag.observe(this.#age(message));
    }
    const streams = this.#sessions.get(message.toUserId);
    if (streams === undefined) {
      this.#metrics?.notLocal.inc();
      return;
    }
    if (tally === undefined) {
      for (const stream of streams) stream.push(message);
      return;
    }
    tally.sessions += streams.size;
    for (const stream of streams) {
      const outcome = stream.push(message);
      if (outcome !== 'ignored') tally[outcome] += 1;
    }
  }

  /** The bus may have missed messages: every local stream back-fills from its last id. */
  /** The bus lost its subscription: every local stream holds live delivery until `resync`. */
  hold(): void {
    for (const streams of this.#sessions.values()) for (const stream of streams) stream.hold();
  }

  resync(): void {
    this.#metrics?.resyncBackfills.inc(this.subscriptionCount);
    for (const streams of this.#sessions.values()) for (const stream of streams) stream.resync();
  }

  /** Ends every stream (node shutdown); their transports see the iterators finish. */
  endAll(): void {
    for (const streams of [...this.#sessions.values()]) for (const stream of [...streams]) stream.end();
  }

  /** Seconds since the message's `sentAt` (0 when the sender's clock is ahead of this node's). */
  #age(message: Message): number {
    return Math.max(0, this.#now() - Date.parse(message.sentAt)) / 1000;
  }

  #remove(userId: string, stream: MessageStream): void {
    const streams = this.#sessions.get(userId);
    if (streams === undefined || !streams.delete(stream) || streams.size > 0) return;
    this.#sessions.delete(userId);
    // Detach failures are not the client's concern: Redis forgets a dead connection's channels.
    this.#sync(userId).catch(() => {});
  }

  // Brings the bus in line with whether the user has local streams *when this call runs*; calls are
  // chained per user so a quick unsubscribe/resubscribe never detaches a live user.
  #sync(userId: string): Promise<void> {
    const previous = this.#syncing.get(userId) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(async () => {
        const wanted = this.#sessions.has(userId);
        if (wanted && !this.#attached.has(userId)) {
          await this.#bus.attach(userId);
          this.#attached.add(userId);
        } else if (!wanted && this.#attached.has(userId)) {
          this.#attached.delete(userId);
          await this.#bus.detach(userId);
        }
      });
    this.#syncing.set(userId, next);
    const settle = () => {
      if (this.#syncing.get(userId) === next) this.#syncing.delete(userId);
    };
    next.then(settle, settle);
    return next;
  }
}
