import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { clientFor, prime, recorder, sendAll } from './support.ts';

describe('client.send through a Redis restart', () => {
  let redis: RedisProcess;
  let node: NodeProcess;
  beforeAll(async () => {
    redis = await startRedis({ aof: true }); // the history and idempotency keys survive the restart
    node = await startNode({ REDIS_URL: redis.url, SEND_TIMEOUT_MS: '500' });
  });
  afterAll(async () => {
    await node?.stop();
    await redis?.stop();
  });

  it('keeps retrying while Redis is down and is delivered exactly once, even when an answer is lost', async () => {
    const feed = recorder();
    const recipient = clientFor('gina', { url: node.wsUrl });
    let attempts = 0;
    let loseNextAnswer = false;
    const sender = clientFor('alice', {
      url: node.wsUrl,
      backoff: { initialMs: 100, maxMs: 500 },
      // Counts attempts; once armed, lets one request reach the server and then drops its answer,
      // as a network that fails after the server acted would.
      fetch: async (input, init) => {
        attempts += 1;
        const response = await fetch(input, init);
        if (!loseNextAnswer) return response;
        loseNextAnswer = false;
        await response.body?.cancel();
        throw new TypeError('fetch failed: the answer was lost');
      },
    });
    try {
      recipient.messages(feed.callbacks);
      await feed.waitForLive();
      const alice = await tokenFor('alice');
      const probes = await prime(feed, (body) => sendAll(node.url, 'gina', [body], alice));

      await redis.kill();
      const sending = sender.send('gina', 'through the restart');
      await waitFor('two failed attempts', () => attempts >= 2);
      loseNextAnswer = true;
      await redis.restart();
      const sent = await sending;
      expect(sent).toMatchObject({ toUserId: 'gina', fromUserId: 'alice', body: 'through the restart' });
      expect(loseNextAnswer).toBe(false); // an answer was indeed lost, and the retry got the first result back

      await sendAll(node.url, 'gina', ['after'], alice);
      await feed.waitForCount(probes.length + 2);
      expect(feed.messages.map((m) => m.body)).toEqual([...probes, 'through the restart', 'after']);
      expect(feed.messages.find((m) => m.body === 'through the restart')?.id).toBe(sent.id);
      const history = await post<{ messages: { items: Array<{ body: string }> } }>(
        node.url,
        'query { messages(first: 500) { items { body } } }',
        {},
        await tokenFor('gina'),
      );
      expect(history.data?.messages.items.filter((m) => m.body === 'through the restart')).toHaveLength(1);
    } finally {
      recipient.dispose();
      sender.dispose();
    }
  });
});
