import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';

// The rate limit's own Redis round trip (issue 24): on one server the send script takes the
// sender's token itself, so a send is one command to Redis; on a Redis Cluster the bucket is in the
// sender's slot and is checked first. Either way a refused send stores and publishes nothing.

const SEND = `mutation Send($to: ID!, $body: String!, $key: ID) {
  sendMessage(toUserId: $to, body: $body, clientMessageId: $key) { id }
}`;
const BURST = 3;
const RATE_ENV = { SEND_RATE_PER_SECOND: '1', SEND_BURST: String(BURST) };

async function sendAs(node: NodeProcess, from: string, to: string, body: string, key?: string) {
  const answer = await post<{ sendMessage: { id: string } }>(node.url, SEND, { to, body, key }, await tokenFor(from));
  return { id: answer.data?.sendMessage.id, code: answer.errors?.[0]?.extensions?.code, retryAfterMs: answer.errors?.[0]?.extensions?.['retryAfterMs'] };
}

describe('sendMessage with the rate limit on, one Redis server', () => {
  let redis: RedisProcess;
  let node: NodeProcess;
  beforeAll(async () => {
    redis = await startRedis();
    node = await startNode({ REDIS_URL: redis.url, ...RATE_ENV });
    // Once, so the scripts are loaded (a first EVALSHA answered NOSCRIPT is followed by an EVAL).
    expect((await sendAs(node, 'warm', 'warm-up', 'load the scripts')).code).toBeUndefined();
  });
  afterAll(async () => {
    await node?.stop();
    await redis?.stop();
  });

  it('is one command to Redis per send, accepted or refused, and a refused send stores nothing', async () => {
    const client = new Redis(redis.url);
    const monitor = await client.monitor();
    const seen: string[][] = [];
    // What clients sent (the commands a script runs show with the source 'lua').
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((arg) => arg.includes('{u:ana}') || arg.includes('{u:bo}'))) seen.push(args);
    });
    try {
      const answers = [];
      for (let i = 0; i <= BURST; i += 1) answers.push(await sendAs(node, 'ana', 'bo', `m${i}`));
      expect(answers.slice(0, BURST).map((answer) => answer.code)).toEqual([undefined, undefined, undefined]);
      expect(answers[BURST]).toMatchObject({ id: undefined, code: 'RATE_LIMITED' });
      expect(answers[BURST]?.retryAfterMs).toBeGreaterThan(0);
      await expect.poll(() => seen.length).toBeGreaterThanOrEqual(BURST + 1);
      // Each send: one EVALSHA naming the sender's bucket and the recipient's stream together.
      expect(seen.map((args) => args[0]?.toLowerCase())).toEqual(Array(BURST + 1).fill('evalsha'));
      for (const args of seen) expect(args).toEqual(expect.arrayContaining(['sb:{u:bo}:inbox', 'sb:{u:ana}:rate:send']));
    } finally {
      monitor.disconnect();
      client.disconnect();
    }
    expect(await redis.client.xlen('sb:{u:bo}:inbox')).toBe(BURST);
  });

  it('a repeat of a stored clientMessageId answers the first message and takes no token', async () => {
    const first = await sendAs(node, 'cy', 'dee', 'once', 'k-1');
    const repeats = await Promise.all([1, 2, 3, 4].map(() => sendAs(node, 'cy', 'dee', 'once', 'k-1')));
    expect(repeats.map((answer) => answer.id)).toEqual(Array(4).fill(first.id));
    // Two tokens are left of the burst of three: repeats took none.
    expect((await sendAs(node, 'cy', 'dee', 'two')).code).toBeUndefined();
    expect((await sendAs(node, 'cy', 'dee', 'three')).code).toBeUndefined();
    expect((await sendAs(node, 'cy', 'dee', 'four')).code).toBe('RATE_LIMITED');
    expect(await redis.client.xlen('sb:{u:dee}:inbox')).toBe(3);
  });
});

describe('sendMessage with the rate limit on, Redis Cluster', () => {
  let cluster: RedisCluster;
  let node: NodeProcess;
  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: 0 });
    node = await startNode({ REDIS_CLUSTER_NODES: cluster.nodesEnv, ...RATE_ENV });
  });
  afterAll(async () => {
    await node?.stop();
    await cluster?.stop();
  });

  it('refuses past the burst with RATE_LIMITED, and the refused send stores nothing', async () => {
    const answers = [];
    for (let i = 0; i <= BURST; i += 1) answers.push(await sendAs(node, 'eve', 'fay', `m${i}`));
    expect(answers.map((answer) => answer.code)).toEqual([undefined, undefined, undefined, 'RATE_LIMITED']);
    const client = new Cluster([{ host: '127.0.0.1', port: (cluster.members[0] as { port: number }).port }]);
    try {
      expect(await client.xlen('sb:{u:fay}:inbox')).toBe(BURST);
    } finally {
      client.disconnect();
    }
  });
});
