import { afterAll } from 'vitest';
import { startNode } from '../helpers/node-process.ts';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { describeDelivery, HISTORY_LIMIT } from './delivery-suite.ts';

// One Redis Cluster (3 primaries with a replica each) for the whole file; each routing mode gets its own nodes.
let cluster: Promise<RedisCluster> | undefined;
afterAll(async () => {
  await (await cluster)?.stop();
});

for (const routing of ['user', 'broadcast'] as const) {
  describeDelivery(`redis cluster (3 shards), ROUTING=${routing}, three nodes`, async () => {
    const redis = await (cluster ??= startRedisCluster());
    const nodes = await Promise.all(
      [0, 1, 2].map(() =>
        startNode({ REDIS_CLUSTER_NODES: redis.nodesEnv, ROUTING: routing, HISTORY_MAX_PER_USER: String(HISTORY_LIMIT) }),
      ),
    );
    return {
      nodes,
      stop: async () => void (await Promise.all(nodes.map((node) => node.stop()))),
    };
  });
}
