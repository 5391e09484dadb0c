import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { bodies, clientFor, deliveredExactly, prime, recorder, sendAll } from './support.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

describe('@switchboard/client on a network path that goes silent', () => {
  let node: NodeProcess;
  let proxy: TcpProxy;
  beforeAll(async () => {
    node = await startNode();
    proxy = await startTcpProxy(node.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await node?.stop();
  });

  it('notices the stall within ping interval + pong deadline, moves on and resumes with no loss', async () => {
    const pingIntervalMs = 500;
    const pongTimeoutMs = 1_000;
    const feed = recorder();
    const client = clientFor('frank', {
      // Through the proxy first; the direct URL is "the other node".
      url: [`ws://127.0.0.1:${proxy.port}/graphql`, node.wsUrl],
      liveness: { pingIntervalMs, pongTimeoutMs, connectTimeoutMs: 3_000 },
    });
    try {
      client.messages(feed.callbacks);
      await feed.waitForLive();
      const alice = await tokenFor('alice');
      const probes = await prime(feed, (body) => sendAll(node.url, 'frank', [body], alice));

      proxy.stall();
      const stalledAt = Date.now();
      const missed = bodies('m', 0, 20);
      await sendAll(node.url, 'frank', missed, alice); // sent while the path is silent
      const noticed = await waitFor('the stall to be noticed', () => feed.statuses.find((s) => s.state === 'connecting' && s.closeCode !== undefined), { timeoutMs: 10_000 });
      const noticedAfterMs = Date.now() - stalledAt;
      expect(noticed).toMatchObject({ closeCode: 4499, closeReason: `no pong within ${pongTimeoutMs} ms` });
      // The next ping goes out at most one interval after the stall and its pong is due a deadline
      // later (slack for timers on a busy machine); the pinned reason shows it was the deadline.
      console.info(`stall noticed after ${noticedAfterMs} ms (ping every ${pingIntervalMs} ms, pong deadline ${pongTimeoutMs} ms)`);
      expect(noticedAfterMs).toBeLessThanOrEqual(pingIntervalMs + pongTimeoutMs + 2_500);

      await feed.waitForCount(probes.length + missed.length);
      const delivered = deliveredExactly(feed.messages);
      expect(delivered.bodies).toEqual([...probes, ...missed]);
      expect(delivered.increasing).toBe(true);
      expect(feed.statuses.at(-1)).toMatchObject({ state: 'live', url: node.url, recovered: true });
    } finally {
      client.dispose();
    }
  });
});
