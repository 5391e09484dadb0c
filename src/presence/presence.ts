/**
 * Presence: which users have at least one live session anywhere in the cluster. A session is one
 * authenticated graphql-ws connection (see docs/PRESENCE.md for why SSE streams do not count).
 * Implementations share one node-local core (`node-presence.ts`) over a store: `memory` (one
 * process) or `redis` (every node, with per-node leases).
 */

/** A user came online (first session anywhere) or went offline (last session gone, after the grace period). */
export interface PresenceEvent {
  readonly userId: string;
  readonly online: boolean;
  /** When it happened, epoch milliseconds; for the first event of a watch, when the state was read. */
  readonly at: number;
}

/** One live session of a user on this node. */
export interface PresenceSession {
  /**
   * Settles once the session counts cluster-wide. Never rejects: when the store cannot be reached
   * the node records the session locally and writes its whole share once it can.
   */
  readonly recorded: Promise<void>;
  /** Ends the session (idempotent). The user goes offline only after the last one, plus the grace period. */
  close(): void;
}

/** The presence changes of a bounded set of users, as a subscription consumes them. */
export type PresenceWatch = AsyncIterableIterator<PresenceEvent>;

/** What the rest of the node uses. */
export interface Presence {
  /** Connects to the store and starts the heartbeat. Call before opening sessions. */
  start(): Promise<void>;
  /** Records a live session of `userId` on this node. */
  openSession(userId: string): PresenceSession;
  /**
   * Distinct users with at least one session (or within the grace period after their last), cluster-wide.
   * O(1) in the store. @throws {PresenceUnavailableError}
   */
  onlineCount(): Promise<number>;
  /** Whether each user is online, in the order asked. @throws {PresenceUnavailableError} */
  isOnline(userIds: readonly string[]): Promise<boolean[]>;
  /**
   * Live sessions of `userId` across the cluster (sessions in their grace period excluded), for a
   * per-user connection limit. Sessions of a crashed node count until its lease is reaped.
   * @throws {PresenceUnavailableError}
   */
  sessionCount(userId: string): Promise<number>;
  /**
   * Watches `userIds` (distinct, bounded by the caller): first one event per user with their current
   * state, then one event per change. A consumer that falls behind gets the latest state of each user
   * (never a backlog). @throws {PresenceUnavailableError} when the current state cannot be read.
   */
  watch(userIds: readonly string[]): Promise<PresenceWatch>;
  /** Stops the heartbeat and hands this node's share over to the lease (see docs/PRESENCE.md). */
  close(): Promise<void>;
}

/** The presence store could not be read (Redis unreachable or too slow). */
export class PresenceUnavailableError extends Error {
  override readonly name = 'PresenceUnavailableError';
}

/** Presence is switched off on this node (`PRESENCE=off`). */
export class PresenceDisabledError extends Error {
  override readonly name = 'PresenceDisabledError';
}
