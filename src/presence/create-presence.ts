import type { Registry } from 'prom-client';
import type { Logger } from '../util/logger.ts';
import type { RedisLink } from '../redis/link.ts';
import type { PresenceConfig } from './config.ts';
import { createDisabledPresence } from './disabled-presence.ts';
import { createMemoryPresenceStore } from './memory-store.ts';
import { createNodePresence, type NodePresenceStats } from './node-presence.ts';
import type { Presence } from './presence.ts';
import { PresenceMetrics } from './presence-metrics.ts';
import { createRedisPresenceStore } from './redis-store.ts';

export interface PresenceDeps {
  /** Names this node's lease in Redis. */
  readonly nodeId: string;
  /** The node's Redis link; `undefined`: the in-memory store (one node). */
  readonly link: RedisLink | undefined;
  readonly logger: Logger;
  /** The node's metrics registry; the presence metrics are added to it. */
  readonly registry: Registry;
  readonly now: () => number;
}

/**
 * Builds the node's presence from its configuration: off (`PRESENCE=off`), in memory (no Redis: one
 * node), or in Redis (every node shares it). Nothing connects until `start`.
 */
export function createPresence(settings: PresenceConfig, deps: PresenceDeps): Presence {
  if (!settings.enabled) return createDisabledPresence();
  const logger = deps.logger.child({ component: 'presence' });
  const graceMs = settings.graceSeconds * 1000;
  // The gauges read the core at scrape time, so it can be built after the metrics.
  const metrics: PresenceMetrics = new PresenceMetrics(deps.registry, {
    users: () => stats.localUsers,
    sessions: () => stats.localSessions,
    watches: () => stats.watches,
  });
  const { link } = deps;
  const store =
    link === undefined
      ? createMemoryPresenceStore(deps.now)
      : createRedisPresenceStore({ link, nodeId: deps.nodeId, ttlMs: settings.ttlSeconds * 1000, graceMs, logger, metrics });
  const stats: Presence & NodePresenceStats = createNodePresence(store, { graceMs, logger });
  return stats;
}
