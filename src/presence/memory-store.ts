import type { PresenceStore, StoreHooks } from './presence-store.ts';

/**
 * The single-node store: this node is the whole cluster, so a user is online exactly while it holds
 * them. Changes are applied and published synchronously, in call order, like the Redis scripts.
 */
export function createMemoryPresenceStore(now: () => number = Date.now): PresenceStore {
  /** Held users and their live sessions (0 while in the grace period). */
  const held = new Map<string, number>();
  let hooks: StoreHooks | undefined;
  let seq = 0;
  const publish = (userId: string, online: boolean) => hooks?.deliver({ userId, online, at: now(), seq: ++seq });

  return {
    async start(given) {
      hooks = given;
    },
    async change(userId, delta, release) {
      const before = held.get(userId);
      const sessions = Math.max(0, (before ?? 0) + delta);
      if (release && sessions === 0) {
        if (held.delete(userId)) publish(userId, false);
        return;
      }
      held.set(userId, sessions);
      if (before === undefined) publish(userId, true);
    },
    async onlineCount() {
      return held.size;
    },
    async snapshot(userIds) {
      return { seq, at: now(), online: userIds.map((userId) => held.has(userId)) };
    },
    async sessionCount(userId) {
      return held.get(userId) ?? 0;
    },
    async close() {
      hooks = undefined;
    },
  };
}
