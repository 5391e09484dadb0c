import type { PresenceEvent } from './presence.ts';

/**
 * A presence change as the store publishes it. `seq` grows with every change cluster-wide (and keeps
 * growing across a Redis restart), so a watcher can order a snapshot against events that cross it.
 */
export interface StoreEvent extends PresenceEvent {
  readonly seq: number;
}

/** The state of some users as of one point in the store's event order. */
interface Snapshot {
  /** The `seq` of the last change the snapshot includes. */
  readonly seq: number;
  /** When it was read, epoch milliseconds (the store's clock). */
  readonly at: number;
  /** In the order asked. */
  readonly online: boolean[];
}

/** What the node-local core gives its store. */
export interface StoreHooks {
  /** A change, from any node (exactly once per change per node). */
  deliver(event: StoreEvent): void;
  /** Events may have been missed (the event connection dropped): watchers must re-read. */
  resync(): void;
  /** This node's whole share: every user it holds, with their live sessions here (0 = in grace). */
  share(): Iterable<readonly [userId: string, sessions: number]>;
}

/**
 * The shared state behind presence. A node "holds" a user while it has sessions of theirs or is in
 * the grace period after the last one; a user is online while any node holds them.
 */
export interface PresenceStore {
  start(hooks: StoreHooks): Promise<void>;
  /**
   * Adds `delta` (+1, -1 or 0) to `userId`'s sessions on this node, holding the user if the node did
   * not; with `release`, the node then stops holding them (their sessions here are 0). Never rejects:
   * failures are repaired by writing the whole share later.
   */
  change(userId: string, delta: 1 | -1 | 0, release: boolean): Promise<void>;
  /** @throws {PresenceUnavailableError} */
  onlineCount(): Promise<number>;
  /** @throws {PresenceUnavailableError} */
  snapshot(userIds: readonly string[]): Promise<Snapshot>;
  /** @throws {PresenceUnavailableError} */
  sessionCount(userId: string): Promise<number>;
  /** Stops; this node's share outlives it by `graceMs` (redis) so its users may reconnect elsewhere. */
  close(): Promise<void>;
}
