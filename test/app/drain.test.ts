import { describe, expect, it } from 'vitest';
import { post, SEND } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { resumingInbox } from '../helpers/resuming-inbox.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('graceful shutdown on SIGTERM', () => {
  it('closes sockets with 1001; the client resumes on another node and gets what was sent meanwhile', async () => {
    const redis = await startRedis();
    const [draining, other] = (await Promise.all([1, 2].map(() => startNode({ REDIS_URL: redis.url })))) as [NodeProcess, NodeProcess];
    const inbox = resumingInbox({ wsUrls: [draining.wsUrl, other.wsUrl], token: () => tokenFor('bob'), after: `${Date.now() - 1000}-0` });
    try {
      const alice = await tokenFor('alice');
      await post(other.url, SEND, { to: 'bob', body: 'before' }, alice);
      await waitFor('the first message', () => inbox.messages.length === 1);
      const stopped = draining.stop();
      await waitFor('the 1001 close', () => inbox.closeCodes.includes(1001));
      for (const body of ['while draining 1', 'while draining 2']) await post(other.url, SEND, { to: 'bob', body }, alice);
      await stopped;
      await waitFor('resumed delivery', () => inbox.messages.length === 3);
      expect(inbox.messages.map((m) => m.body)).toEqual(['before', 'while draining 1', 'while draining 2']);
      expect(draining.logs.map((line) => line['msg'])).toEqual(expect.arrayContaining(['draining: not ready from now on', 'shut down']));
    } finally {
      await inbox.stop();
      await Promise.all([draining.stop(), other.stop()]);
      await redis.stop();
    }
  });

  it('lets an in-flight send finish before the process exits', async () => {
    const redis = await startRedis();
    const node = await startNode({ REDIS_URL: redis.url, SEND_TIMEOUT_MS: '5000' });
    try {
      redis.pause(); // the send below waits for Redis
      const sending = post(node.url, SEND, { to: 'bob', body: 'in flight' }, await tokenFor('alice'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stopped = node.stop();
      await waitFor('the node to start draining', () => node.logs.some((line) => line['msg'] === 'draining: not ready from now on'));
      redis.resume();
      const result = await sending;
      expect(result.errors).toBeUndefined();
      expect(result.data).toMatchObject({ sendMessage: { body: 'in flight' } });
      await stopped;
      expect(node.logs.at(-1)?.['msg']).toBe('shut down');
    } finally {
      await node.stop();
      await redis.stop();
    }
  });

  for (const runtime of ['node', 'deno'] as const) {
    it(`exits on SIGTERM when the reader of its log has gone (${runtime})`, async () => {
      const node = await startNode({ SHUTDOWN_TIMEOUT_MS: '2000' }, { runtime });
      try {
        node.closeOutput();
        // The log lines of the shutdown meet a closed pipe (EPIPE). It used to retry them forever.
        const outcome = await Promise.race([node.stop().then(() => 'exited'), new Promise((resolve) => setTimeout(() => resolve('still running 20 s after SIGTERM'), 20_000))]);
        expect([outcome, node.exitCode]).toEqual(['exited', 0]);
      } finally {
        await node.kill();
      }
    }, 30_000);
  }

  it('exits within SHUTDOWN_TIMEOUT_MS when something hangs', async () => {
    const redis = await startRedis();
    const node = await startNode({ REDIS_URL: redis.url, SEND_TIMEOUT_MS: '60000', SHUTDOWN_TIMEOUT_MS: '500' });
    try {
      redis.pause();
      void post(node.url, SEND, { to: 'bob', body: 'never answered' }, await tokenFor('alice')).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 200));
      await node.stop();
      expect(node.logs.some((line) => line['msg'] === 'shutdown timed out: exiting anyway')).toBe(true);
    } finally {
      redis.resume();
      await redis.stop();
    }
  });
});
