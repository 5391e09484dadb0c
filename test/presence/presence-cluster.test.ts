import { startNode } from '../helpers/node-process.ts';
import { startRedisCluster } from '../helpers/redis-cluster.ts';
import { describePresence, PRESENCE_ENV } from './presence-suite.ts';

// Presence keys share the hash tag {presence} (one slot, so one shard runs every script); events are
// classic PUBLISH, which the cluster copies to every Redis node.
describePresence('redis cluster (3 shards), two nodes', async () => {
  const redis = await startRedisCluster();
  const nodes = await Promise.all([0, 1].map(() => startNode({ REDIS_CLUSTER_NODES: redis.nodesEnv, ...PRESENCE_ENV })));
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.stop();
    },
  };
});
