import { afterAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { runService, STACK_FRAME } from '../helpers/service-run.ts';
import { READY_BOUND_MS, sendAs, startBeforeRedis, statusOf } from '../helpers/start-before-redis.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

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

  it('keeps sending after every shard’s script cache is flushed (NOSCRIPT: ioredis falls back to EVAL on a cluster too)', async () => {
    cluster ??= await startRedisCluster({ primaries: 3, replicas: 0 });
    const service = runService({ REDIS_CLUSTER_NODES: cluster.nodesEnv });
    try {
      const port = await service.port();
      await waitFor('the node to be ready', async () => (await statusOf(port, '/ready')) === 200);
      const alice = await tokenFor('alice');
      // Recipients spread over the shards, so every primary has run the send script before the flush.
      const recipients = ['bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
      for (const to of recipients) expect((await sendAs(port, alice, to)).errors).toBeUndefined();
      await Promise.all(cluster.members.map((member) => member.client.script('FLUSH')));
      for (const to of recipients) expect((await sendAs(port, alice, to)).errors).toBeUndefined();
      expect(service.logs.filter((line) => line.msg === 'sendMessage failed in Redis: answered UNAVAILABLE')).toHaveLength(0);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    expect(service.stderr).not.toMatch(STACK_FRAME);
  });

  it('REDIS_URL at a node of the cluster: one line saying to use REDIS_CLUSTER_NODES, exit 78', async () => {
    cluster ??= await startRedisCluster({ primaries: 3, replicas: 0 });
    const member = cluster.members[0] as { address: string };
    const service = runService({ REDIS_URL: `redis://${member.address}` });
    expect(await service.exited).toBe(78);
    expect(service.logs.filter((line) => line.level === 60).map((line) => line.msg)).toEqual([
      `Cannot start: Redis (REDIS_URL) refused this node: REDIS_URL points at a node of a Redis Cluster (${member.address}): use REDIS_CLUSTER_NODES for the nodes of a Redis Cluster, REDIS_URL only for a Redis without cluster mode`,
    ]);
    expect(service.stderr).not.toMatch(STACK_FRAME);
  });
});
