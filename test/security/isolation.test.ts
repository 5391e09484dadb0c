import fc from 'fast-check';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type LocalCluster } from '../helpers/cluster.ts';
import { connect, post, PROBE_SENDER } from '../helpers/graphql-client.ts';
import { readSse, type SseStream } from '../helpers/sse.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Isolation property: with random users subscribed on random nodes and transports (some with forged
 * variables and arguments that try to name another user), and random sends through either node (some
 * with forged extra arguments and variables), every delivered message reaches exactly the
 * subscriptions of its recipient — zero deliveries to anyone else. ISOLATION_ROUNDS sets the rounds.
 */

const ROUNDS = Number(process.env['ISOLATION_ROUNDS'] ?? 20);
const USERS = ['ann', 'ben', 'cat', 'dan'];

const FIELDS = 'id fromUserId toUserId body';
/** Subscription documents a client might try: honest, and forged ways of naming someone else. */
const SUBSCRIPTIONS = [
  { query: `subscription { messageReceived { ${FIELDS} } }`, variables: {} },
  // Undeclared variables naming someone else: accepted and ignored.
  { query: `subscription { messageReceived { ${FIELDS} } }`, variables: { userId: 'VICTIM', toUserId: 'VICTIM', fromUserId: 'VICTIM' } },
  { query: `subscription ($after: ID) { messageReceived(after: $after) { ${FIELDS} } }`, variables: { after: null, userId: 'VICTIM' } },
  // Refused: no such argument; two root fields.
  { query: `subscription { messageReceived(userId: "VICTIM") { ${FIELDS} } }`, variables: {} },
  { query: `subscription { a: messageReceived { ${FIELDS} } b: messageReceived { ${FIELDS} } }`, variables: {} },
] as const;
/** Send documents: honest, and with forged sender arguments or variables. */
const SENDS = [
  { query: 'mutation ($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body) { id } }', forged: {} },
  { query: 'mutation ($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body) { id } }', forged: { fromUserId: 'VICTIM', userId: 'VICTIM' } },
  { query: 'mutation ($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body, fromUserId: "VICTIM") { id } }', forged: {} },
] as const;

const planArb = fc.record({
  subscribers: fc.array(
    fc.record({
      user: fc.constantFrom(...USERS),
      node: fc.nat(1),
      transport: fc.constantFrom('ws', 'sse'),
      document: fc.nat(SUBSCRIPTIONS.length - 1),
      victim: fc.constantFrom(...USERS),
    }),
    { minLength: 2, maxLength: 6 },
  ),
  sends: fc.array(
    fc.record({ from: fc.constantFrom(...USERS), to: fc.constantFrom(...USERS), node: fc.nat(1), document: fc.nat(SENDS.length - 1), victim: fc.constantFrom(...USERS) }),
    { minLength: 1, maxLength: 12 },
  ),
});

interface Delivery {
  readonly id: string;
  readonly fromUserId: string;
  readonly toUserId: string;
  readonly body: string;
}

/** Every `messageReceived` value in a result, whatever the alias. */
function deliveries(data: unknown): Delivery[] {
  if (typeof data !== 'object' || data === null) return [];
  return Object.values(data as Record<string, unknown>).filter((value): value is Delivery => typeof value === 'object' && value !== null && 'toUserId' in value);
}

const swap = (value: unknown, victim: string): unknown => JSON.parse(JSON.stringify(value).replaceAll('VICTIM', victim));

describe('isolation across two nodes (property)', () => {
  let cluster: LocalCluster;
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    cluster = await startCluster(2);
    for (const user of [...USERS, PROBE_SENDER]) tokens.set(user, await tokenFor(user));
  });
  afterAll(() => cluster?.stop());

  it(`delivers every message only to its recipient's own subscriptions (${ROUNDS} rounds)`, async () => {
    let round = 0;
    let delivered = 0;
    const tally = { live: 0, refused: 0, sent: 0, sendsRefused: 0 };
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        round += 1;
        const tag = `r${round}-${Date.now()}`;
        const clients: Client[] = [];
        const streams: SseStream[] = [];
        const subscriptions = plan.subscribers.map((subscriber) => ({ ...subscriber, received: [] as Delivery[], refused: false }));
        try {
          for (const subscription of subscriptions) {
            const node = cluster.nodes[subscription.node] ?? cluster.nodes[0];
            const { query, variables } = SUBSCRIPTIONS[subscription.document] as (typeof SUBSCRIPTIONS)[number];
            const document = swap({ query, variables }, subscription.victim) as { query: string; variables: Record<string, unknown> };
            const token = tokens.get(subscription.user) as string;
            if (subscription.transport === 'ws') {
              const client = connect(node!.wsUrl, token);
              clients.push(client);
              client.subscribe(document, {
                next: (result) => {
                  if (result.errors !== undefined) subscription.refused = true;
                  subscription.received.push(...deliveries(result.data));
                },
                error: () => void (subscription.refused = true),
                complete: () => {},
              });
            } else {
              const stream = await readSse(node!.url, document.query, token);
              streams.push(stream);
              Object.defineProperty(subscription, 'received', { get: () => stream.events.flatMap((event) => deliveries((event as { data?: unknown }).data)) });
              Object.defineProperty(subscription, 'refused', { get: () => stream.events.some((event) => (event as { errors?: unknown }).errors !== undefined) });
            }
          }
          // Live: every subscription that was not refused has received a probe of this round.
          await waitFor('every subscription to go live', async () => {
            for (const user of new Set(subscriptions.map((s) => s.user))) {
              await post(cluster.nodes[0]!.url, 'mutation ($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body) { id } }', { to: user, body: `probe ${tag}` }, tokens.get(PROBE_SENDER));
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
            return subscriptions.every((s) => s.refused || s.received.some((d) => d.body === `probe ${tag}`));
          });

          const sent: Delivery[] = [];
          for (const [index, send] of plan.sends.entries()) {
            const node = cluster.nodes[send.node] ?? cluster.nodes[0];
            const { query, forged } = SENDS[send.document] as (typeof SENDS)[number];
            const body = `${tag} #${index} ${send.from}->${send.to}`;
            const reply = await post<{ sendMessage: { id: string } }>(node!.url, swap(query, send.victim) as string, { ...(swap(forged, send.victim) as object), to: send.to, body }, tokens.get(send.from));
            if (reply.data?.sendMessage !== undefined) sent.push({ id: reply.data.sendMessage.id, fromUserId: send.from, toUserId: send.to, body });
            else tally.sendsRefused += 1;
          }
          // A last message to every subscribed user: per-recipient order means anything sent before has arrived.
          for (const user of new Set(subscriptions.map((s) => s.user))) {
            await post(cluster.nodes[1]!.url, 'mutation ($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body) { id } }', { to: user, body: `end ${tag}` }, tokens.get(PROBE_SENDER));
          }
          await waitFor('every end marker', () => subscriptions.every((s) => s.refused || s.received.some((d) => d.body === `end ${tag}`)));

          tally.sent += sent.length;
          for (const subscription of subscriptions) {
            if (subscription.refused) tally.refused += 1;
            else tally.live += 1;
            const ofRound = subscription.received.filter((d) => d.body.startsWith(tag));
            // Zero deliveries to anyone but the recipient…
            expect(ofRound.filter((d) => d.toUserId !== subscription.user)).toEqual([]);
            if (subscription.refused) continue;
            // …and the recipient's every live subscription gets each of its messages, with the real sender.
            const expected = sent.filter((d) => d.toUserId === subscription.user).map((d) => `${d.body} from ${d.fromUserId}`);
            const got = [...new Set(ofRound.map((d) => `${d.body} from ${d.fromUserId}`))];
            expect(got).toEqual(expected);
            delivered += ofRound.length;
          }
          return true;
        } finally {
          for (const stream of streams) stream.close();
          await Promise.all(clients.map((client) => client.dispose()));
        }
      }),
      { numRuns: ROUNDS, endOnFailure: true },
    );
    console.log(
      `[isolation] ${ROUNDS} rounds: ${tally.live} live subscriptions and ${tally.refused} refused (forged arguments), ` +
        `${tally.sent} sends accepted and ${tally.sendsRefused} refused; ${delivered} deliveries, none to anyone but the recipient`,
    );
    expect(delivered).toBeGreaterThan(0);
  }, 120_000);
});
