import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { clientFor } from './support.ts';

describe('client.send against the send rate limit', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({ SEND_RATE_PER_SECOND: '2', SEND_BURST: '1' });
  });
  afterAll(() => node?.stop());

  it('waits the retryAfterMs of each RATE_LIMITED answer, then delivers every message once', async () => {
    // Per send (its clientMessageId): when each attempt started, and the wait a RATE_LIMITED answer asked for.
    const log = new Map<string, Array<{ started: number; answered: number; retryAfterMs?: number }>>();
    const client = clientFor('nina', {
      url: node.wsUrl,
      fetch: async (input, init) => {
        const started = Date.now();
        const id = String((JSON.parse(String(init?.body)) as { variables: { clientMessageId: string } }).variables.clientMessageId);
        const response = await fetch(input, init);
        const body = (await response.clone().json()) as { errors?: Array<{ extensions?: { code?: string; retryAfterMs?: number } }> };
        const error = body.errors?.[0]?.extensions;
        const entry = { started, answered: Date.now(), ...(error?.code === 'RATE_LIMITED' ? { retryAfterMs: Number(error.retryAfterMs) } : {}) };
        log.set(id, [...(log.get(id) ?? []), entry]);
        return response;
      },
    });
    try {
      const sent = await Promise.all(['one', 'two', 'three'].map((body) => client.send('omar', body)));
      expect(sent.map((m) => m.body)).toEqual(['one', 'two', 'three']);
      const retries = [...log.values()].flatMap((attempts) => attempts.slice(1).map((next, i) => ({ previous: attempts[i], next })));
      expect(retries.length).toBeGreaterThan(0);
      // Each retry came after a RATE_LIMITED answer, and no sooner than the wait it asked for.
      for (const { previous, next } of retries) {
        expect(previous?.retryAfterMs).toBeGreaterThan(0);
        expect(next.started - (previous?.answered ?? 0)).toBeGreaterThanOrEqual((previous?.retryAfterMs ?? 0) - 1);
      }
      // One clientMessageId per call, whatever the number of attempts.
      expect(log.size).toBe(3);
      const inbox = await post<{ messages: { items: Array<{ body: string }> } }>(node.url, 'query { messages(first: 10) { items { body } } }', {}, await tokenFor('omar'));
      expect(inbox.data?.messages.items.map((m) => m.body).sort()).toEqual(['one', 'three', 'two']);
    } finally {
      client.dispose();
    }
  });
});
