import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, post, SEND, subscribeInbox, subscribeReady, type Inbox } from '../helpers/graphql-client.ts';
import type { NodeProcess } from '../helpers/node-process.ts';
import { readSse } from '../helpers/sse.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** Targets start their nodes with this HISTORY_MAX_PER_USER, so retention is quick to exceed. */
export const HISTORY_LIMIT = 120;

const RESUME = 'subscription($after: ID) { messageReceived(after: $after) { id fromUserId toUserId body sentAt } }';
const PAGE = 'query($after: ID, $first: Int) { messages(after: $after, first: $first) { items { id body } hasMore } }';
const SEND_KEYED = `mutation($to: ID!, $body: String!, $key: ID) {
  sendMessage(toUserId: $to, body: $body, clientMessageId: $key) { id }
}`;

/** What a delivery-suite target provides: running nodes (one for the memory bus, several for Redis). */
export interface DeliveryTarget {
  readonly nodes: readonly NodeProcess[];
  stop(): Promise<void>;
}

let userCounter = 0;
/** A user id unique to this test file run, so tests never see each other's messages. */
const uniqueUser = (name: string) => `${name}-${process.pid}-${++userCounter}`;

/**
 * The delivery behaviour every bus and routing mode must have. Run once per target: the memory bus
 * (one node) and the Redis bus in each routing mode (several node processes).
 */
export function describeDelivery(name: string, start: () => Promise<DeliveryTarget>): void {
  describe(`delivery: ${name}`, () => {
    let target: DeliveryTarget;
    const clients: Client[] = [];
    const node = (index: number): NodeProcess => {
      const nodes = target.nodes;
      return nodes[index % nodes.length] as NodeProcess;
    };
    const probeToken = () => tokenFor('probe');

    beforeAll(async () => {
      target = await start();
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
    });
    afterAll(async () => {
      await target?.stop();
    });

    /** Subscribes `userId` on node `index` and waits until the subscription is live. */
    async function session(userId: string, index: number): Promise<Inbox> {
      const client = connect(node(index).wsUrl, await tokenFor(userId));
      clients.push(client);
      return subscribeReady(client, { userId, sendUrl: node(index).url, probeToken: await probeToken() });
    }

    async function send(fromUserId: string, toUserId: string, body: string, index: number) {
      const result = await post(node(index).url, SEND, { to: toUserId, body }, await tokenFor(fromUserId));
      expect(result.errors).toBeUndefined();
      return (result.data as { sendMessage: { id: string; sentAt: string; body: string } }).sendMessage;
    }

    it('sendMessage on one node reaches the recipient subscribed on another, with the sender bound to the token', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const inbox = await session(bob, 1);
      const sent = await send(alice, bob, 'hello bob', 0);
      const [received] = await inbox.waitForCount(1);
      expect(received).toEqual({ id: sent.id, fromUserId: alice, toUserId: bob, body: 'hello bob', sentAt: sent.sentAt });
    });

    it('a user with sessions on two nodes gets the message on both, once each', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const first = await session(bob, 0);
      const second = await session(bob, 1);
      await send(alice, bob, 'to every tab', 2);
      await first.waitForCount(1);
      await second.waitForCount(1);
      await send(alice, bob, 'fence', 0);
      await first.waitForCount(2);
      await second.waitForCount(2);
      expect(first.messages.map((m) => m.body)).toEqual(['to every tab', 'fence']);
      expect(second.messages.map((m) => m.body)).toEqual(['to every tab', 'fence']);
    });

    it('other users get nothing', async () => {
      const [alice, bob, carol] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('carol')];
      const bobInbox = await session(bob, 0);
      const carolInbox = await session(carol, 1);
      await send(alice, bob, 'only for bob', 1);
      await bobInbox.waitForCount(1);
      // A fence: carol's own message arrives after anything misrouted would have.
      await send(alice, carol, 'fence', 0);
      await carolInbox.waitForCount(1);
      expect(carolInbox.messages.map((m) => m.body)).toEqual(['fence']);
    });

    it('messages from one sender arrive in the order they were sent', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const inbox = await session(bob, 1);
      const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
      for (const body of bodies) await send(alice, bob, body, 0);
      await inbox.waitForCount(bodies.length);
      expect(inbox.messages.map((m) => m.body)).toEqual(bodies);
    });

    it('a completed subscription receives nothing more while the user’s other session still does', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const kept = await session(bob, 0);
      const ended = await session(bob, 1);
      ended.dispose();
      await waitFor('the completed subscription to end on the server', async () => {
        await send(alice, bob, 'after complete', 0);
        return kept.messages.length > 0;
      });
      const before = ended.messages.length;
      await send(alice, bob, 'fence', 1);
      await waitFor('fence', () => kept.messages.some((m) => m.body === 'fence'));
      expect(ended.messages.length).toBe(before);
    });

    it('delivers over GraphQL over SSE with the Authorization header', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const stream = await readSse(node(1).url, 'subscription { messageReceived { fromUserId body } }', await tokenFor(bob));
      try {
        await waitFor('the SSE subscription to deliver', async () => {
          await send(alice, bob, 'over sse', 0);
          return stream.events.length > 0;
        });
        expect(stream.events[0]).toEqual({ data: { messageReceived: { fromUserId: alice, body: 'over sse' } } });
      } finally {
        stream.close();
      }
    });

    it('a user offline while 100 messages arrive gets all 100 in order on subscribing with after, then live ones', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const seen = await send(alice, bob, 'seen before going offline', 0);
      const sent = [];
      for (let i = 0; i < 100; i++) sent.push(await send(alice, bob, `offline ${i}`, i));
      const client = connect(node(1).wsUrl, await tokenFor(bob));
      clients.push(client);
      const inbox = subscribeInbox(client, RESUME, { after: seen.id });
      await inbox.waitForCount(100);
      const live = await send(alice, bob, 'live', 0);
      await inbox.waitForCount(101);
      expect(inbox.messages.map((m) => m.id)).toEqual([...sent.map((m) => m.id), live.id]);
      expect(inbox.messages[0]?.body).toBe('offline 0');
    });

    it('pages through the inbox with messages(after, first)', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const sent = [];
      for (let i = 0; i < 5; i++) sent.push(await send(alice, bob, `p${i}`, i));
      const token = await tokenFor(bob);
      const first = await post(node(0).url, PAGE, { first: 3 }, token);
      expect(first).toEqual({ data: { messages: { items: sent.slice(0, 3).map(({ id, body }) => ({ id, body })), hasMore: true } } });
      const second = await post(node(1).url, PAGE, { after: sent[2]!.id, first: 3 }, token);
      expect(second).toEqual({ data: { messages: { items: sent.slice(3).map(({ id, body }) => ({ id, body })), hasMore: false } } });
      const other = await post(node(0).url, PAGE, {}, await tokenFor(alice));
      expect(other).toEqual({ data: { messages: { items: [], hasMore: false } } }); // only the caller's own inbox
    });

    it('duplicate clientMessageId sends, concurrently on every node, deliver once and return the same message', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const inbox = await session(bob, 0);
      const token = await tokenFor(alice);
      const results = await Promise.all(
        [0, 1, 2, 0, 1, 2].map((i) => post(node(i).url, SEND_KEYED, { to: bob, body: 'once', key: 'same-key' }, token)),
      );
      const ids = new Set(results.map((r) => (r.data as { sendMessage: { id: string } }).sendMessage.id));
      expect(ids.size).toBe(1);
      await send(alice, bob, 'fence', 1);
      await inbox.waitForCount(2);
      expect(inbox.messages.map((m) => m.body)).toEqual(['once', 'fence']);
    });

    it('answers CURSOR_EXPIRED for a cursor past retention and BAD_USER_INPUT for a malformed one', async () => {
      const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
      const first = await send(alice, bob, 'first', 0);
      // first and the one after it are dropped: messages after the cursor `first` are gone.
      for (let i = 0; i <= HISTORY_LIMIT; i++) await send(alice, bob, `push ${i}`, i);
      const token = await tokenFor(bob);
      const query = await post(node(0).url, PAGE, { after: first.id }, token);
      expect(query.errors?.[0]?.extensions?.code).toBe('CURSOR_EXPIRED');
      const client = connect(node(1).wsUrl, token);
      clients.push(client);
      const expired = subscribeInbox(client, RESUME, { after: `${Date.now() - 30 * 24 * 3600 * 1000}-0` });
      await waitFor('the subscription to fail', () => expired.errors.length > 0);
      expect(expired.errors).toEqual([
        expect.objectContaining({
          message: "Cannot subscribe: messages after the cursor were dropped by retention; refetch without 'after'",
          extensions: { code: 'CURSOR_EXPIRED' },
        }),
      ]);
      await waitFor('the subscription to end after the error', () => expired.completed);
      const malformed = await post(node(0).url, PAGE, { after: 'yesterday' }, token);
      expect(malformed.errors?.[0]).toMatchObject({
        message: "Cannot read messages: 'after' is not a message id (expected <ms>-<seq>): current value 'yesterday'",
        extensions: { code: 'BAD_USER_INPUT' },
      });
      const tooMany = await post(node(0).url, PAGE, { first: 501 }, token);
      expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses to subscribe over SSE without a token: UNAUTHENTICATED', async () => {
      const stream = await readSse(node(0).url, 'subscription { messageReceived { body } }', undefined);
      try {
        const first = await waitFor('an SSE error event', () => stream.events[0]);
        expect(first).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
      } finally {
        stream.close();
      }
    });
  });
}
