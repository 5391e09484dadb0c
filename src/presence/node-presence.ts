import { errorMessage } from '../util/error-message.ts';
import type { Logger } from '../util/logger.ts';
import type { Presence, PresenceSession, PresenceWatch } from './presence.ts';
import type { PresenceStore } from './presence-store.ts';
import { WatchRegistry, type Watch } from './watch.ts';

export interface NodePresenceOptions {
  /** How long the node keeps holding a user after their last session here closed. */
  readonly graceMs: number;
  readonly logger: Logger;
}

/** This node's sessions of one user; `release` is pending while the user is in the grace period. */
interface Holding {
  sessions: number;
  release: ReturnType<typeof setTimeout> | undefined;
}

/** Users read per store round trip when every watch re-reads after a missed event. */
const RESYNC_BATCH = 500;
const RESYNC_RETRY_MS = 1000;

/**
 * The node-local half of presence, the same over every store: which users this node holds and with
 * how many sessions, the grace period, and the watches. Only changes of a user's hold reach the
 * store's online state; a reconnect within the grace period on this node touches nothing but the
 * session count, and one on another node finds the user still online, so neither emits anything.
 */
export function createNodePresence(store: PresenceStore, options: NodePresenceOptions): Presence & NodePresenceStats {
  const { graceMs, logger } = options;
  const holdings = new Map<string, Holding>();
  const registry = new WatchRegistry();
  let resyncTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const report = (what: string) => (error: unknown) =>
    logger.warn({ err: errorMessage(error) }, `presence: ${what} failed`);

  const endSession = (userId: string, holding: Holding) => {
    holding.sessions -= 1;
    if (holding.sessions > 0 || closed) {
      if (!closed) store.change(userId, -1, false).catch(report('session close'));
      return;
    }
    if (graceMs === 0) {
      holdings.delete(userId);
      store.change(userId, -1, true).catch(report('session close'));
      return;
    }
    store.change(userId, -1, false).catch(report('session close'));
    holding.release = setTimeout(() => {
      holding.release = undefined;
      if (holding.sessions > 0 || holdings.get(userId) !== holding) return;
      holdings.delete(userId);
      store.change(userId, 0, true).catch(report('release'));
    }, graceMs);
  };

  // Every watch re-reads the state of its users; a failure retries until it succeeds or the node stops.
  const resync = async () => {
    clearTimeout(resyncTimer);
    resyncTimer = undefined;
    const users = [...registry.users()];
    try {
      for (let i = 0; i < users.length && !closed; i += RESYNC_BATCH) {
        const batch = users.slice(i, i + RESYNC_BATCH);
        const { seq, at, online } = await store.snapshot(batch);
        batch.forEach((userId, index) => registry.dispatch({ userId, online: online[index] === true, at, seq }));
      }
    } catch (error) {
      report('watch resync')(error);
      if (!closed) resyncTimer = setTimeout(() => void resync(), RESYNC_RETRY_MS);
    }
  };

  return {
    get localUsers() {
      return holdings.size;
    },
    get localSessions() {
      let count = 0;
      for (const holding of holdings.values()) count += holding.sessions;
      return count;
    },
    get watches() {
      return registry.size;
    },
    async start() {
      await store.start({
        deliver: (event) => registry.dispatch(event),
        resync: () => void resync(),
        *share() {
          for (const [userId, holding] of holdings) yield [userId, holding.sessions] as const;
        },
      });
    },
    openSession(userId): PresenceSession {
      if (closed) return { recorded: Promise.resolve(), close() {} };
      let holding = holdings.get(userId);
      if (holding === undefined) holdings.set(userId, (holding = { sessions: 0, release: undefined }));
      clearTimeout(holding.release);
      holding.release = undefined;
      holding.sessions += 1;
      return new NodeSession(store.change(userId, 1, false).catch(report('session open')), userId, holding, endSession);
    },
    onlineCount: () => store.onlineCount(),
    async isOnline(userIds) {
      if (userIds.length === 0) return [];
      return (await store.snapshot(userIds)).online;
    },
    sessionCount: (userId) => store.sessionCount(userId),
    async watch(userIds): Promise<PresenceWatch> {
      const watch: Watch = registry.add(userIds);
      // Registered first, then read: a change racing the read is ordered against it by `seq`.
      try {
        const { seq, at, online } = await store.snapshot(userIds);
        userIds.forEach((userId, index) => watch.apply({ userId, online: online[index] === true, at, seq }));
      } catch (error) {
        watch.end();
        throw error;
      }
      return watch;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(resyncTimer);
      for (const holding of holdings.values()) clearTimeout(holding.release);
      registry.endAll();
      await store.close();
    },
  };
}

/** Node-local figures for the metrics gauges. */
export interface NodePresenceStats {
  readonly localUsers: number;
  readonly localSessions: number;
  readonly watches: number;
}

/** One open session: an object rather than a closure, since a socket keeps it for its whole life. */
class NodeSession implements PresenceSession {
  readonly recorded: Promise<void>;
  readonly #userId: string;
  readonly #holding: Holding;
  readonly #end: (userId: string, holding: Holding) => void;
  #open = true;

  constructor(recorded: Promise<void>, userId: string, holding: Holding, end: (userId: string, holding: Holding) => void) {
    this.recorded = recorded;
    this.#userId = userId;
    this.#holding = holding;
    this.#end = end;
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#end(this.#userId, this.#holding);
  }
}
