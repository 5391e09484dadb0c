import { afterAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { READY_BOUND_MS, startBeforeRedis } from '../helpers/start-before-redis.ts';

describe('a node that starts before its Redis Cluster', () => {
  let cluster: RedisCluster | undefined;
  afterAll(() => cluster?.stop());

  it('serves /health at once, waits with one line (not ready, upgrades 503, sends UNAVAILABLE), then becomes ready by itself and delivers', async () => {
    const { readyMs } = await startBeforeRedis({
      variable: 'REDIS_CLUSTER_NODES',
      env: (forward) => ({ REDIS_CLUSTER_NODES: forward.address }),
      async bringUp() {
        // No replicas: three processes start faster, and this row is about reaching the cluster.
        cluster = await startRedisCluster({ primaries: 3, replicas: 0 });
        return (cluster.members[0] as { port: number }).port;
      },
    });
    expect(readyMs).toBeLessThan(READY_BOUND_MS);
  });
});
