import type { Message } from '../domain/message.ts';

/** A message before the bus stores it: the bus assigns the id (the recipient's cursor). */
export type MessageDraft = Omit<Message, 'id'>;

/** One page of a recipient's retained messages, oldest first. */
export interface HistoryPage {
  readonly items: Message[];
  /** More retained messages follow the last item. */
  readonly hasMore: boolean;
}

/** What a bus reports to its node. */
export interface BusEvents {
  /** A message for a user this node holds (in `broadcast` routing: any message). */
  deliver(message: Message): void;
  /**
   * Messages may have been missed (the pub/sub connection dropped and came back): every local
   * subscription must back-fill from its last delivered id.
   */
  resync(): void;
  /**
   * Live delivery stopped (the pub/sub connection dropped): hold local subscriptions until `resync`,
   * so a message delivered after the reconnect cannot overtake one missed meanwhile.
   */
  suspend?(): void;
}

/**
 * Stores and moves messages. Each recipient has a bounded history; `send` appends to it and
 * publishes in one atomic step, so a message is delivered live only if it is in history, and history
 * order is delivery order. Which local sessions get a message is the hub's business
 * (`engine/hub.ts`). Implementations: `memory` (one process) and `redis`.
 */
export interface Bus {
  /** Connects and starts reporting to `events`. */
  start(events: BusEvents): Promise<void>;
  /**
   * Appends `draft` to the recipient's history and publishes it. With `clientMessageId`, a repeat by
   * the same sender to the same recipient within the idempotency window returns the first message
   * and stores and publishes nothing.
   * A bus built with a send rate (the Redis bus on one server) takes the sender's token in the same
   * step, before storing anything; a repeat of a stored `clientMessageId` takes none.
   * @throws {SendRateRefusedError} when the sender's bucket is empty; nothing is stored or published.
   * @throws {BusUnavailableError} when the bus did not acknowledge in time; nothing is sent later.
   */
  send(draft: MessageDraft, clientMessageId?: string): Promise<Message>;
  /**
   * Up to `limit` retained messages of `userId` after the id `after` (from the oldest without it).
   * @throws {CursorExpiredError} when messages after `after` were dropped by retention.
   * @throws {BusUnavailableError}
   */
  read(userId: string, after: string | undefined, limit: number): Promise<HistoryPage>;
  /**
   * A cursor at the end of `userId`'s history: reading after it returns only later messages.
   * @throws {BusUnavailableError}
   */
  tail(userId: string): Promise<string>;
  /**
   * How many messages `userId`'s history retains now (the admin API's user view; never their bodies).
   * @throws {BusUnavailableError}
   */
  historyLength(userId: string): Promise<number>;
  /** This node now holds `userId`: deliver their messages here. Resolves once that is in effect. */
  attach(userId: string): Promise<void>;
  /** This node no longer holds `userId`. */
  detach(userId: string): Promise<void>;
  /** True while the bus can take messages (Redis reachable). */
  ready(): boolean;
  /** Stops delivering and releases connections. */
  close(): Promise<void>;
}

/** The bus could not take a message or a subscription (connection down, timeout). */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
}

/** The sender is over the send rate limit (checked by the bus in its send); nothing was stored. */
export class SendRateRefusedError extends Error {
  override readonly name = 'SendRateRefusedError';
  constructor(
    /** Milliseconds until the sender's bucket holds a token again. */
    readonly retryAfterMs: number,
  ) {
    super(`the sender is over the send rate limit; retry in ${retryAfterMs} ms`);
  }
}

/** Messages after the requested cursor were dropped by retention (count or age). */
export class CursorExpiredError extends Error {
  override readonly name = 'CursorExpiredError';
}

/** Retention and idempotency settings shared by every bus. */
export interface HistoryLimits {
  /** Messages kept per recipient. */
  readonly maxPerUser: number;
  /** Age after which a message is dropped, in milliseconds. */
  readonly ttlMs: number;
  /** How long a `clientMessageId` is remembered, in milliseconds. */
  readonly idempotencyTtlMs: number;
}
