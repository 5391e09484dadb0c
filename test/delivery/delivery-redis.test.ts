import { startNode } from '../helpers/node-process.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { describeDelivery, HISTORY_LIMIT } from './delivery-suite.ts';

for (const routing of ['user', 'broadcast'] as const) {
  describeDelivery(`redis bus, ROUTING=${routing}, three nodes`, async () => {
    const redis = await startRedis();
    const nodes = await Promise.all(
      [0, 1, 2].map(() => startNode({ REDIS_URL: redis.url, ROUTING: routing, HISTORY_MAX_PER_USER: String(HISTORY_LIMIT) })),
    );
    return {
      nodes,
      async stop() {
        await Promise.all(nodes.map((node) => node.stop()));
        await redis.stop();
      },
    };
  });
}
