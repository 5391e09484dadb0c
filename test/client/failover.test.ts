import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchboardClient } from '@switchboard/client';
import { freePort } from '../../bench/lib/free-port.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { bodies, clientFor, deliveredExactly, prime, recorder, sendAll } from './support.ts';

// A client on node A while messages stream through node B; node A dies (SIGKILL) or drains
// (SIGTERM, 1001). The client moves on (past a dead URL) to B and resumes after the last message it
// delivered.
describe('@switchboard/client across the loss of its node', () => {
  let redis: RedisProcess;
  let nodes: NodeProcess[] = [];
  let client: SwitchboardClient | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    client?.dispose();
    await Promise.all(nodes.map((node) => node.stop()));
    nodes = [];
  });
  afterAll(() => redis?.stop());

  const scenarios = [
    { name: 'SIGKILL, over WebSocket', transport: 'websocket', end: (node: NodeProcess) => node.kill() },
    { name: 'SIGTERM drain (1001), over WebSocket', transport: 'websocket', end: (node: NodeProcess) => node.stop() },
    { name: 'SIGKILL, over SSE', transport: 'sse', end: (node: NodeProcess) => node.kill() },
  ] as const;

  for (const scenario of scenarios) {
    it(`${scenario.name}: 0 lost, 0 duplicates, in order`, async () => {
      const user = `bob-${scenario.transport}-${Math.random().toString(36).slice(2, 6)}`;
      const [a, b] = (nodes = [await startNode({ REDIS_URL: redis.url }), await startNode({ REDIS_URL: redis.url })]) as [NodeProcess, NodeProcess];
      const feed = recorder();
      // Between the two nodes a URL where nothing listens: the client must move past it as well.
      const dead = `ws://127.0.0.1:${await freePort()}/graphql`;
      client = clientFor(user, { url: [a.wsUrl, dead, b.wsUrl], transport: scenario.transport });
      client.messages(feed.callbacks);
      await feed.waitForLive();
      expect(feed.statuses.find((s) => s.state === 'live')).toMatchObject({ url: a.url });

      const alice = await tokenFor('alice');
      const probes = await prime(feed, (body) => sendAll(b.url, user, [body], alice));
      const sent = [...probes, ...bodies('m', 0, 150)];
      // Messages stream (through node B) while node A goes away under the client.
      const sending = sendAll(b.url, user, sent.slice(probes.length), alice);
      await feed.waitForCount(40);
      const endedAt = Date.now();
      await scenario.end(a);
      const liveAgain = waitFor('live on B', () => feed.statuses.some((st) => st.state === 'live' && st.url === b.url)).then(() => Date.now() - endedAt);
      await sending;
      await feed.waitForCount(sent.length);

      const delivered = deliveredExactly(feed.messages);
      expect(delivered.bodies).toEqual(sent);
      expect(delivered.unique).toBe(sent.length);
      expect(delivered.increasing).toBe(true);
      const last = feed.statuses.at(-1);
      console.info(`${scenario.name}: live again on B ${await liveAgain} ms after the signal, ${last?.state === 'live' ? last.recoveredCount : '?'} messages recovered`);
      // It resumed on node B and says so.
      expect(feed.statuses.at(-1)).toMatchObject({ state: 'live', url: b.url, recovered: true });
    });
  }
});
