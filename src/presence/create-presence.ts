import type { Registry } from 'prom-client';
import type { Logger } from '../util/logger.ts';
import type { PresenceSettings } from './config.ts';
import { createDisabledPresence } from './disabled-presence.ts';
import { createMemoryPresenceStore } from './memory-store.ts';
import { createNodePresence, type NodePresenceStats } from './node-presence.ts';
import type { Presence } from './presence.ts';
import { PresenceMetrics } from './presence-metrics.ts';
import { createRedisPresenceStore, type RedisPresenceOptions } from './redis-store.ts';

export interface PresenceDeps {
  /** Names this node's lease in Redis. */
  readonly nodeId: string;
  /** How long a Redis command may take. */
  readonly commandTimeoutMs: number;
  /** A `redis://` URL or the configured Redis target; `undefined`: the in-memory store (one node). */
  readonly redis: RedisPresenceOptions['redis'] | undefined;
  readonly logger: Logger;
  /** The node's metrics registry; the presence metrics are added to it. */
  readonly registry: Registry;
  readonly now: () => number;
}

/**
 * Builds the node's presence from its configuration: off (`PRESENCE=off`), in memory (no Redis: one
 * node), or in Redis (every node shares it). Nothing connects until `start`.
 */
export function createPresence(settings: PresenceSettings, deps: PresenceDeps): Presence {
  if (!settings.enabled) return createDisabledPresence();
  const logger = deps.logger.child({ component: 'presence' });
  const graceMs = settings.graceSeconds * 1000;
  // The gauges read the core at scrape time, so it can be built after the metrics.
  const metrics: PresenceMetrics = new PresenceMetrics(deps.registry, {
    users: () => stats.localUsers,
    sessions: () => stats.localSessions,
    watches: () => stats.watches,
  });
  const { redis } = deps;
  const store =
    redis === undefined
      ? createMemoryPresenceStore(deps.now)
      : createRedisPresenceStore({
          redis,
          nodeId: deps.nodeId,
          ttlMs: settings.ttlSeconds * 1000,
          graceMs,
          commandTimeoutMs: deps.commandTimeoutMs,
          logger,
          metrics,
        });
  const stats: Presence & NodePresenceStats = createNodePresence(store, { graceMs, logger });
  return stats;
}
