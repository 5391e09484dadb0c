import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../src/redis/keys.ts';
import { connect, post, SEND, subscribeReady } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startCluster, type LocalCluster } from '../helpers/cluster.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('ROUTING=user subscribes a node to a user only while it holds that user', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(() => cluster.stop());

  it('counts one subscriber per node holding the user and drops to none on complete and on close', async () => {
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    const { redis } = cluster;
    const channel = channels.user('bob');
    const probeToken = await tokenFor('probe');
    expect(await redis.numsub(channel)).toBe(0);

    const onA = connect(a.wsUrl, await tokenFor('bob'));
    const firstOnA = await subscribeReady(onA, { userId: 'bob', sendUrl: a.url, probeToken });
    const secondOnA = await subscribeReady(onA, { userId: 'bob', sendUrl: a.url, probeToken });
    expect(await redis.numsub(channel)).toBe(1); // two local subscriptions, one Redis subscription

    const onB = connect(b.wsUrl, await tokenFor('bob'));
    await subscribeReady(onB, { userId: 'bob', sendUrl: b.url, probeToken });
    expect(await redis.numsub(channel)).toBe(2);

    firstOnA.dispose();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await redis.numsub(channel)).toBe(2); // node A still holds bob's second subscription
    secondOnA.dispose();
    await waitFor('node A to unsubscribe', async () => (await redis.numsub(channel)) === 1);

    await onB.dispose(); // the socket closes without completing first
    await waitFor('node B to unsubscribe', async () => (await redis.numsub(channel)) === 0);
    expect(await redis.channels('sb:{u:bob}*')).toEqual([]);
    await onA.dispose();
  });

  it('a send while Redis is down fails fast with UNAVAILABLE; the node keeps serving, live but not ready', async () => {
    const isolated = await startRedis();
    const node = await startNode({ REDIS_URL: isolated.url });
    try {
      const token = await tokenFor('alice');
      expect((await post(node.url, SEND, { to: 'bob', body: 'up' }, token)).errors).toBeUndefined();
      expect((await fetch(node.url.replace('/graphql', '/ready'))).status).toBe(200);
      await isolated.stop();
      const startedAt = Date.now();
      const result = await post(node.url, SEND, { to: 'bob', body: 'down' }, token);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
      expect(result.errors?.[0]?.message).toBe('Cannot send message: the message bus is unavailable; retry later');
      expect(Date.now() - startedAt).toBeLessThan(5_000); // not queued until a reconnect
      const me = await post(node.url, '{ me }', {}, token);
      expect(me.data).toEqual({ me: 'alice' }); // the node keeps serving
      const base = node.url.replace('/graphql', '');
      expect((await fetch(`${base}/ready`)).status).toBe(503);
      expect((await fetch(`${base}/health`)).status).toBe(200);
    } finally {
      await node.stop();
      await isolated.stop();
    }
  });
});

describe('a hung Redis', () => {
  it('a send Redis does not acknowledge within SEND_TIMEOUT_MS fails with UNAVAILABLE and never goes out later', async () => {
    const redis = await startRedis();
    const node = await startNode({ REDIS_URL: redis.url, SEND_TIMEOUT_MS: '300' });
    try {
      const token = await tokenFor('alice');
      const bob = await tokenFor('bob');
      redis.pause();
      const startedAt = Date.now();
      const result = await post(node.url, SEND, { to: 'bob', body: 'stuck in a socket buffer' }, token);
      const elapsed = Date.now() - startedAt;
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(3_000);
      await new Promise((resolve) => setTimeout(resolve, 400)); // let the deadline pass for sure
      redis.resume();
      await waitFor('the node to be ready again', async () => (await fetch(node.url.replace('/graphql', '/ready'))).ok);
      const after = await post(node.url, SEND, { to: 'bob', body: 'after' }, token);
      expect(after.errors).toBeUndefined();
      const inbox = await post<{ messages: { items: Array<{ body: string }> } }>(
        node.url,
        '{ messages { items { body } } }',
        {},
        bob,
      );
      expect(inbox.data?.messages.items.map((m) => m.body)).toEqual(['after']);
    } finally {
      await node.stop();
      await redis.stop();
    }
  });
});

describe('ROUTING=broadcast uses one channel that every node subscribes to', () => {
  it('has the broadcast channel with one subscriber per node and no per-user channels', async () => {
    const redis = await startRedis();
    const nodes = await Promise.all([1, 2].map(() => startNode({ REDIS_URL: redis.url, ROUTING: 'broadcast' })));
    try {
      const client = connect((nodes[0] as NodeProcess).wsUrl, await tokenFor('bob'));
      await subscribeReady(client, { userId: 'bob', sendUrl: (nodes[1] as NodeProcess).url, probeToken: await tokenFor('probe') });
      expect(await redis.numsub(channels.broadcast)).toBe(2);
      expect(await redis.channels('sb:{u:*')).toEqual([]);
      await client.dispose();
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.stop();
    }
  });
});
