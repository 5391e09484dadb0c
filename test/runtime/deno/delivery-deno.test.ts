import { describeDelivery, HISTORY_LIMIT } from '../../delivery/delivery-suite.ts';
import { startNode, type Runtime } from '../../helpers/node-process.ts';
import { startRedis } from '../../helpers/redis-server.ts';

// The same delivery suite the Node nodes pass, run against nodes hosted by Deno, then against a
// mixed cluster: the suite addresses nodes by index (sessions on one, sends on another), so with
// [Node, Deno] it sends Node → Deno and Deno → Node.

describeDelivery('memory bus, one Deno node', async () => {
  const node = await startNode({ HISTORY_MAX_PER_USER: String(HISTORY_LIMIT) }, { runtime: 'deno' });
  return { nodes: [node], stop: () => node.stop() };
});

const clusters: ReadonlyArray<{ name: string; runtimes: readonly Runtime[] }> = [
  { name: 'three Deno nodes', runtimes: ['deno', 'deno', 'deno'] },
  { name: 'a Node node and a Deno node', runtimes: ['node', 'deno'] },
];

for (const routing of ['user', 'broadcast'] as const) {
  for (const { name, runtimes } of clusters) {
    describeDelivery(`redis bus, ROUTING=${routing}, ${name}`, async () => {
      const redis = await startRedis();
      const nodes = await Promise.all(
        runtimes.map((runtime) => startNode({ REDIS_URL: redis.url, ROUTING: routing, HISTORY_MAX_PER_USER: String(HISTORY_LIMIT) }, { runtime })),
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
}
