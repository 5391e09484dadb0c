import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../../src/redis/keys.ts';
import { connect, post, SEND, subscribeReady } from '../../helpers/graphql-client.ts';
import { startNode, type NodeProcess, type Runtime } from '../../helpers/node-process.ts';
import { startRedis, type RedisProcess } from '../../helpers/redis-server.ts';
import { readSse } from '../../helpers/sse.ts';
import { tokenFor } from '../../helpers/tokens.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let userCounter = 0;
const uniqueUser = (name: string) => `${name}-mixed-${process.pid}-${++userCounter}`;

for (const routing of ['user', 'broadcast'] as const) {
  describe(`a Node node and a Deno node on one Redis, ROUTING=${routing}`, () => {
    let redis: RedisProcess;
    const nodes = {} as Record<Runtime, NodeProcess>;
    const clients: Client[] = [];
    beforeAll(async () => {
      redis = await startRedis();
      const env = { REDIS_URL: redis.url, ROUTING: routing };
      [nodes.node, nodes.deno] = await Promise.all([startNode(env, { runtime: 'node' }), startNode(env, { runtime: 'deno' })]);
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
    });
    afterAll(async () => {
      await Promise.all(Object.values(nodes).map((node) => node.stop()));
      await redis?.stop();
    });

    it.each([
      ['node', 'deno'],
      ['deno', 'node'],
    ] as const)('a message sent on the %s node reaches its recipient subscribed on the %s node', async (from, to) => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const client = connect(nodes[to].wsUrl, await tokenFor(bob));
      clients.push(client);
      const inbox = await subscribeReady(client, { userId: bob, sendUrl: nodes[from].url, probeToken: await tokenFor('probe') });
      const sent = await post(nodes[from].url, SEND, { to: bob, body: `from ${from} to ${to}` }, await tokenFor(alice));
      expect(sent.errors).toBeUndefined();
      const [received] = await inbox.waitForCount(1);
      expect(received).toEqual((sent.data as { sendMessage: unknown }).sendMessage);
    });

    if (routing === 'user') {
      it('the Deno node holds a user channel only while a graphql-ws or SSE subscription of that user is open', async () => {
        const bob = uniqueUser('bob');
        const channel = channels.user(bob);
        const client = connect(nodes.deno.wsUrl, await tokenFor(bob));
        clients.push(client);
        const inbox = await subscribeReady(client, { userId: bob, sendUrl: nodes.node.url, probeToken: await tokenFor('probe') });
        expect(await redis.numsub(channel)).toBe(1);
        inbox.dispose();
        await waitFor('the Deno node to unsubscribe after complete', async () => (await redis.numsub(channel)) === 0);

        const stream = await readSse(nodes.deno.url, 'subscription { messageReceived { body } }', await tokenFor(bob));
        await waitFor('the SSE subscription to deliver', async () => {
          await post(nodes.node.url, SEND, { to: bob, body: 'over sse' }, await tokenFor('alice'));
          return stream.events.length > 0;
        });
        expect(await redis.numsub(channel)).toBe(1);
        stream.close();
        await waitFor('the Deno node to unsubscribe after the SSE client left', async () => (await redis.numsub(channel)) === 0);
      });
    }
  });
}
