import { clusterNames } from '../redis/keys.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { describeError } from '../redis/faults.ts';
import { asNodeStatus } from './node-status.ts';
import type { HeartbeatStore } from './heartbeat-store.ts';

/** The hash of heartbeats expires this long after the last write: a cluster that is gone leaves nothing behind. */
const HASH_TTL_MS = 3_600_000;

/**
 * Heartbeats in one Redis hash (`sb:{cluster}:nodes`, node id → its latest heartbeat as JSON), on
 * the node's link: one HSET per node per heartbeat, one HGETALL to read the cluster. A hash rather
 * than pub/sub, so a node that just started (or reconnected) reads everyone's latest at once and no
 * heartbeat is missed while a subscription is down; its one slot (`{cluster}`) works the same on
 * standalone, Sentinel and Cluster.
 */
export function createRedisHeartbeatStore(commands: RedisConnection): HeartbeatStore {
  const { nodes } = clusterNames;
  return {
    async write(status) {
      await commands.multi().hset(nodes, status.id, JSON.stringify(status)).pexpire(nodes, HASH_TTL_MS).exec();
    },
    async readAll() {
      const entries = await commands.hgetall(nodes);
      const statuses = [];
      for (const text of Object.values(entries)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          continue; // not ours: ignored, and removed once it is old (it has no lastSeenAt, so never listed)
        }
        const status = asNodeStatus(parsed);
        if (status !== undefined) statuses.push(status);
      }
      return statuses;
    },
    async remove(ids) {
      if (ids.length === 0) return;
      await commands.hdel(nodes, ...ids).catch((error: unknown) => void describeError(error));
    },
  };
}
