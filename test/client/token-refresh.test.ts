import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchboardClient } from '@switchboard/client';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { bodies, clientFor, deliveredExactly, prime, recorder, sendAll } from './support.ts';

// Tokens that live 3 s on a node without clock skew leeway: the socket would be closed with 4403
// at expiry. The client either replaces the connection shortly before (the default), or, with the
// margin pushed out of reach, meets the 4403, fetches a fresh token and resumes. No loss either way.
describe('@switchboard/client with short-lived tokens', () => {
  let node: NodeProcess;
  let client: SwitchboardClient | undefined;
  beforeAll(async () => {
    node = await startNode({ JWT_CLOCK_SKEW_SECONDS: '0' });
  });
  afterEach(() => client?.dispose());
  afterAll(() => node?.stop());

  const cases = [
    { name: 'refreshed before it expires', margin: 1_000, closeCode: 4001 },
    { name: 'refreshed after the server closes with 4403', margin: -60_000, closeCode: 4403 },
  ];
  for (const { name, margin, closeCode } of cases) {
    it(`a token expiring mid-stream is ${name}, with no loss`, async () => {
      const user = `carol-${closeCode}`;
      let issued = 0;
      const feed = recorder();
      client = clientFor(user, {
        url: node.wsUrl,
        tokenRefreshMarginMs: margin,
        getToken: () => {
          issued += 1;
          return tokenFor(user, { exp: Math.floor(Date.now() / 1000) + 3 });
        },
      });
      client.messages(feed.callbacks);
      await feed.waitForLive();
      const alice = await tokenFor('alice');
      const sent = await prime(feed, (body) => sendAll(node.url, user, [body], alice));

      // About 7 s of messages: at least two tokens expire while they stream.
      const until = Date.now() + 7_000;
      for (let i = 0; Date.now() < until; i++) {
        const batch = bodies('m', i * 10, i * 10 + 10);
        await sendAll(node.url, user, batch, alice);
        sent.push(...batch);
        await new Promise((resolve) => setTimeout(resolve, 100)); // pacing the sender, not a wait for a result
      }
      await feed.waitForCount(sent.length);
      const delivered = deliveredExactly(feed.messages);
      expect(delivered.bodies).toEqual(sent);
      expect(delivered.unique).toBe(sent.length);
      expect(issued).toBeGreaterThanOrEqual(3);
      const closes = feed.statuses.flatMap((s) => (s.state === 'connecting' && s.closeCode !== undefined ? [s.closeCode] : []));
      expect(closes.length).toBeGreaterThanOrEqual(2);
      expect(new Set(closes)).toEqual(new Set([closeCode]));
    });
  }
});
