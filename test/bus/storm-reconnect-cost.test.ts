import { createHash } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_SCRIPT } from '../../src/bus/redis-scripts.ts';
import { connect, post, subscribeInbox, type Inbox } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

// What one resume costs Redis, counted with MONITOR on a private redis-server: a client that
// reconnects with `after` = its last id reads history exactly once — one READ script call, whether it
// missed nothing or a few messages (the first page covers them) — however many reconnect at once.

const RESUME = 'subscription($after: ID) { messageReceived(after: $after) { id fromUserId toUserId body sentAt } }';
const SEND_ID = 'mutation($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body) { id } }';
const USERS = 24;
const READ_SHA = createHash('sha1').update(READ_SCRIPT).digest('hex');

let redis: RedisProcess;
let node: NodeProcess;
let monitor: Socket | undefined;

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode({ REDIS_URL: redis.url });
});

afterAll(async () => {
  monitor?.destroy();
  await node?.stop();
  await redis?.stop();
});

async function send(token: string, to: string, body: string): Promise<string> {
  const result = await post<{ sendMessage: { id: string } }>(node.url, SEND_ID, { to, body }, token);
  const id = result.data?.sendMessage.id;
  if (id === undefined) throw new Error(`Cannot send to ${to}: ${JSON.stringify(result.errors)}`);
  return id;
}

describe('the cost of a resume', () => {
  it("a client resuming with 'after' reads history once, whether it missed nothing or a few messages, with many resuming at once", async () => {
    const sender = await tokenFor('cost-sender');
    const users = Array.from({ length: USERS }, (_, i) => `cost-${i}`);
    // Each user's cursor is the id of a message it already has; half of them then miss three more.
    const cursors = new Map<string, string>();
    for (const user of users) cursors.set(user, await send(sender, user, 'seen'));
    const missing = users.filter((_, i) => i % 2 === 0);
    for (const user of missing) for (let k = 0; k < 3; k++) await send(sender, user, `missed ${k}`);

    // One resume first, so Redis has the read script cached: its very first call is an EVAL of the
    // whole script (after EVALSHA's NOSCRIPT), not an EVALSHA.
    const warm = connect(node.wsUrl, await tokenFor('cost-warm'));
    const warmInbox = subscribeInbox(warm, RESUME, { after: await send(sender, 'cost-warm', 'seen') });
    await send(sender, 'cost-warm', 'live');
    await waitFor('the warm-up resume to deliver', () => warmInbox.messages.length === 1);
    await warm.dispose();

    // MONITOR over a plain socket: each command Redis runs arrives as one line, `+<time> [db addr] "cmd" "arg" …`.
    let reads = 0;
    let marker = false;
    let monitoring = false;
    let pending = '';
    monitor = connectTcp(redis.port, '127.0.0.1', () => monitor?.write('MONITOR\r\n'));
    monitor.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '+OK') monitoring = true;
        if (line.includes(`"evalsha" "${READ_SHA}"`)) reads += 1;
        if (line.includes('"echo" "cost-marker"')) marker = true;
      }
    });
    await waitFor('MONITOR to start', () => monitoring);

    // Everyone resumes at once.
    const clients = await Promise.all(users.map(async (user) => ({ user, client: connect(node.wsUrl, await tokenFor(user)) })));
    const inboxes = new Map<string, Inbox>(clients.map(({ user, client }) => [user, subscribeInbox(client, RESUME, { after: cursors.get(user) })]));
    await waitFor('the missed messages to arrive', () => missing.every((user) => inboxes.get(user)?.messages.length === 3));
    // A live message to each proves every subscription is in effect (and reads nothing more).
    for (const user of users) await send(sender, user, 'live');
    await waitFor('the live message to reach everyone', () =>
      users.every((user) => inboxes.get(user)?.messages.at(-1)?.body === 'live'),
    );
    // Everything MONITOR saw before the marker is counted.
    await redis.client.echo('cost-marker');
    await waitFor('MONITOR to catch up', () => marker);

    expect({ reads, errors: [...inboxes.values()].flatMap((inbox) => inbox.errors) }).toEqual({ reads: USERS, errors: [] });
    for (const user of users) {
      expect(inboxes.get(user)?.messages.map((message) => message.body)).toEqual(
        missing.includes(user) ? ['missed 0', 'missed 1', 'missed 2', 'live'] : ['live'],
      );
    }
    await Promise.all(clients.map(({ client }) => client.dispose()));
  });
});
