import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  MessageFieldsFragment,
  MessageReceivedSubscriptionVariables,
  SendMessageMutationVariables,
} from '../../documents/operations.generated.ts';
import { post, PROBE_SENDER, SEND } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * What each client library must be able to do, expressed with the typed documents from
 * `documents/` (`npm run codegen`). One adapter per library; the suite below is the same for all.
 */
interface ClientAdapter {
  /** The `NodeId` query: the id of the node this client talks to. */
  nodeId(): Promise<string>;
  /** The `SendMessage` mutation; resolves with the typed `sendMessage` result. */
  send(variables: SendMessageMutationVariables): Promise<MessageFieldsFragment>;
  /** Starts the `MessageReceived` subscription; returns a function that ends it. */
  subscribe(
    variables: MessageReceivedSubscriptionVariables,
    onMessage: (message: MessageFieldsFragment) => void,
    onError: (error: unknown) => void,
  ): () => void;
  /** Closes sockets and connections. */
  close(): Promise<void> | void;
}

/** Builds an adapter for a user (already holding a token) talking to one node. */
export type ClientFactory = (node: NodeProcess, token: string) => ClientAdapter;

let userCounter = 0;
const uniqueUser = (name: string) => `${name}-${process.pid}-${++userCounter}`;

/** A subscription and what it received, probes (from {@link PROBE_SENDER}) counted apart. */
interface Inbox {
  readonly messages: MessageFieldsFragment[];
  readonly errors: unknown[];
  probes: number;
  end(): void;
}

/**
 * Two users on two node processes that share one private Redis, each using the client library
 * under test: every message crosses from one node to the other through Redis.
 */
export function describeInterop(library: string, createClient: ClientFactory): void {
  describe(`interop: ${library}, two nodes sharing one Redis`, () => {
    let redis: RedisProcess;
    let nodes: [NodeProcess, NodeProcess];
    const cleanups: Array<() => unknown> = [];

    beforeAll(async () => {
      redis = await startRedis();
      nodes = [
        await startNode({ REDIS_URL: redis.url, NODE_ID: 'interop-a' }),
        await startNode({ REDIS_URL: redis.url, NODE_ID: 'interop-b' }),
      ];
    });
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await Promise.all(nodes?.map((node) => node.stop()) ?? []);
      await redis?.stop();
    });

    async function user(name: string, node: NodeProcess): Promise<{ id: string; client: ClientAdapter }> {
      const id = uniqueUser(name);
      const client = createClient(node, await tokenFor(id));
      cleanups.push(() => client.close());
      return { id, client };
    }

    /**
     * Subscribes and resolves once the subscription is live: a client cannot otherwise know when the
     * server has started it, so probe messages go to the user (over plain HTTP) until one arrives.
     */
    function subscribe(client: ClientAdapter, variables: MessageReceivedSubscriptionVariables = {}): Inbox {
      const inbox: Inbox = { messages: [], errors: [], probes: 0, end: () => {} };
      inbox.end = client.subscribe(
        variables,
        (message) => (message.fromUserId === PROBE_SENDER ? (inbox.probes += 1) : inbox.messages.push(message)),
        (error) => inbox.errors.push(error),
      );
      cleanups.push(() => inbox.end());
      return inbox;
    }

    async function live(userId: string, client: ClientAdapter, node: NodeProcess): Promise<Inbox> {
      const inbox = subscribe(client);
      const probeToken = await tokenFor(PROBE_SENDER);
      await waitFor(
        `the subscription of ${userId} to go live`,
        async () => {
          if (inbox.errors.length > 0) throw new Error(`subscription failed: ${String(inbox.errors[0])}`, { cause: inbox.errors[0] });
          if (inbox.probes > 0) return true;
          await post(node.url, SEND, { to: userId, body: 'probe' }, probeToken);
          return waitFor('a probe', () => inbox.probes > 0, { timeoutMs: 200 }).catch(() => false);
        },
        { intervalMs: 0 },
      );
      return inbox;
    }

    it('each client talks to its own node: the NodeId query answers interop-a and interop-b', async () => {
      const alice = await user('alice', nodes[0]);
      const bob = await user('bob', nodes[1]);
      expect(await alice.client.nodeId()).toBe('interop-a');
      expect(await bob.client.nodeId()).toBe('interop-b');
    });

    it('messages cross between the nodes both ways, typed, with the sender bound to the token', async () => {
      const alice = await user('alice', nodes[0]);
      const bob = await user('bob', nodes[1]);
      const aliceInbox = await live(alice.id, alice.client, nodes[0]);
      const bobInbox = await live(bob.id, bob.client, nodes[1]);

      const sent = await alice.client.send({ toUserId: bob.id, body: `hello ${bob.id} ✉` });
      expect(sent).toMatchObject({ fromUserId: alice.id, toUserId: bob.id, body: `hello ${bob.id} ✉` });
      await waitFor('bob to receive', () => bobInbox.messages.length >= 1);
      expect(bobInbox.messages).toEqual([
        { id: sent.id, fromUserId: alice.id, toUserId: bob.id, body: `hello ${bob.id} ✉`, sentAt: sent.sentAt },
      ]);

      const reply = await bob.client.send({ toUserId: alice.id, body: 'hi alice' });
      await waitFor('alice to receive', () => aliceInbox.messages.length >= 1);
      expect(aliceInbox.messages).toEqual([
        { id: reply.id, fromUserId: bob.id, toUserId: alice.id, body: 'hi alice', sentAt: reply.sentAt },
      ]);
      expect(bobInbox.messages).toHaveLength(1);
      expect([...aliceInbox.errors, ...bobInbox.errors]).toEqual([]);
    });

    it('a burst of messages arrives complete and in order on the other node', async () => {
      const alice = await user('alice', nodes[0]);
      const bob = await user('bob', nodes[1]);
      const bobInbox = await live(bob.id, bob.client, nodes[1]);
      const bodies = Array.from({ length: 20 }, (_, i) => `message ${i}`);
      for (const body of bodies) await alice.client.send({ toUserId: bob.id, body });
      await waitFor('20 messages', () => bobInbox.messages.length >= bodies.length);
      expect(bobInbox.messages.map((m) => m.body)).toEqual(bodies);
    });

    it('a subscription with after resumes on the other node from history, then goes live, without gap or duplicate', async () => {
      const alice = await user('alice', nodes[0]);
      const bob = await user('bob', nodes[1]);
      const first = await alice.client.send({ toUserId: bob.id, body: 'seen before' });
      await alice.client.send({ toUserId: bob.id, body: 'missed 1', clientMessageId: 'once' });
      await alice.client.send({ toUserId: bob.id, body: 'missed 1', clientMessageId: 'once' }); // a retry: delivered once
      await alice.client.send({ toUserId: bob.id, body: 'missed 2' });
      const inbox = subscribe(bob.client, { after: first.id });
      await waitFor('the missed messages', () => inbox.messages.length >= 2);
      await alice.client.send({ toUserId: bob.id, body: 'live' });
      await waitFor('the live message', () => inbox.messages.length >= 3);
      expect(inbox.messages.map((m) => m.body)).toEqual(['missed 1', 'missed 2', 'live']);
      expect(inbox.errors).toEqual([]);
    });
  });
}
