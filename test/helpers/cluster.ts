import { startNode, type NodeProcess } from './node-process.ts';
import { startRedis, type RedisOptions, type RedisProcess } from './redis-server.ts';

/** A private Redis and `count` switchboard node processes sharing it. */
export interface LocalCluster {
  readonly redis: RedisProcess;
  readonly nodes: NodeProcess[];
  /** Stops every node (SIGTERM; killed ones are skipped) and then Redis. */
  stop(): Promise<void>;
}

/** Starts Redis (with `redis` options), then `count` nodes with `REDIS_URL` and `env`. */
export async function startCluster(
  count: number,
  env: Record<string, string> = {},
  redisOptions: RedisOptions = {},
): Promise<LocalCluster> {
  const redis = await startRedis(redisOptions);
  const nodes = await Promise.all(Array.from({ length: count }, () => startNode({ REDIS_URL: redis.url, ...env })));
  return {
    redis,
    nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.stop();
    },
  };
}
