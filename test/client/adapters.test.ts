import { ApolloClient, InMemoryCache } from '@apollo/client';
import { Client } from '@urql/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchboardClient, SwitchboardMessage } from '@switchboard/client';
import { SwitchboardLink } from '@switchboard/client/apollo';
import { switchboardExchange } from '@switchboard/client/urql';
import { MessageReceivedDocument, NodeIdDocument } from '../../documents/operations.generated.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { bodies, clientFor, deliveredExactly, prime, recorder, sendAll, type Recorder } from './support.ts';

/** Subscribes through an adapter the way its app would; feeds what arrives into `feed`. */
type Adapter = (client: SwitchboardClient, feed: Recorder) => { stop: () => void; nodeId: () => Promise<string> };

const adapters: Record<string, Adapter> = {
  'Apollo Client 4 with SwitchboardLink': (client, feed) => {
    const apollo = new ApolloClient({ link: new SwitchboardLink(client), cache: new InMemoryCache() });
    // The app's own code, unchanged: no cursor handling anywhere.
    const subscription = apollo.subscribe({ query: MessageReceivedDocument }).subscribe({
      next: ({ data }) => data != null && feed.callbacks.onMessage(data.messageReceived as SwitchboardMessage),
      error: feed.callbacks.onError,
    });
    return {
      stop: () => {
        subscription.unsubscribe();
        apollo.stop();
      },
      nodeId: async () => (await apollo.query({ query: NodeIdDocument, fetchPolicy: 'network-only' })).data?.nodeId ?? '',
    };
  },
  'urql with switchboardExchange': (client, feed) => {
    const urql = new Client({ url: 'http://unused.invalid/graphql', exchanges: [switchboardExchange(client, { allOperations: true })] });
    const subscription = urql.subscription(MessageReceivedDocument, {}).subscribe((result) => {
      if (result.error !== undefined) feed.callbacks.onError(result.error);
      else if (result.data != null) feed.callbacks.onMessage(result.data.messageReceived as SwitchboardMessage);
    });
    return {
      stop: () => subscription.unsubscribe(),
      nodeId: async () => (await urql.query(NodeIdDocument, {}, { requestPolicy: 'network-only' }).toPromise()).data?.nodeId ?? '',
    };
  },
};

describe('Apollo Client and urql through @switchboard/client, across a SIGKILL of their node', () => {
  let redis: RedisProcess;
  let nodes: NodeProcess[] = [];
  let stop = () => {};
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    stop();
    await Promise.all(nodes.map((node) => node.stop()));
    nodes = [];
  });
  afterAll(() => redis?.stop());

  for (const [name, adapter] of Object.entries(adapters)) {
    it(`${name}: 0 lost, 0 duplicates, in order`, async () => {
      const user = `hana-${name.split(' ')[0]?.toLowerCase()}`;
      const [a, b] = (nodes = [await startNode({ REDIS_URL: redis.url, NODE_ID: 'a' }), await startNode({ REDIS_URL: redis.url, NODE_ID: 'b' })]) as [NodeProcess, NodeProcess];
      const client = clientFor(user, { url: [a.wsUrl, b.wsUrl] });
      const feed = recorder();
      const running = adapter(client, feed);
      stop = () => {
        running.stop();
        client.dispose();
      };
      expect(await running.nodeId()).toBe('a');
      const alice = await tokenFor('alice');
      const probes = await prime(feed, (body) => sendAll(b.url, user, [body], alice));
      const sent = [...probes, ...bodies('m', 0, 100)];
      const sending = sendAll(b.url, user, sent.slice(probes.length), alice);
      await feed.waitForCount(probes.length + 30);
      await a.kill();
      await sending;
      await feed.waitForCount(sent.length);
      const delivered = deliveredExactly(feed.messages);
      expect(delivered.bodies).toEqual(sent);
      expect(delivered.unique).toBe(sent.length);
      expect(delivered.increasing).toBe(true);
      expect(feed.errors).toEqual([]);
    });
  }
});
