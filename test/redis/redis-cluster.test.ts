import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../src/redis/keys.ts';
import { hashSlot } from '../../src/redis/hash-slot.ts';
import { connect, post, SEND, subscribeReady, type Inbox } from '../helpers/graphql-client.ts';
import { readMetric } from '../helpers/metrics.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import type { Attempt } from '../helpers/reliable-sender.ts';
import { startRedisCluster, type RedisCluster, type Shard } from '../helpers/redis-cluster.ts';
import type { ResumingInbox } from '../helpers/resuming-inbox.ts';
import { connectUsers, expectExactlyOnceInOrder, report, streamMessages } from '../helpers/stream-load.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';


// One cluster for the file (3 primaries with a replica each, AOF fsynced on every write); the
// failover test runs last because it changes which processes are primaries.
let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ aof: true });
});
afterAll(() => cluster?.stop());

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).reverse().map((part) => part.stop()));
});

async function startNodes(count: number, env: Record<string, string> = {}): Promise<NodeProcess[]> {
  const nodes = await Promise.all(
    Array.from({ length: count }, (_, i) => startNode({ REDIS_CLUSTER_NODES: cluster.nodesEnv, NODE_ID: `shard-${i}`, ...env })),
  );
  running.push(...nodes);
  return nodes;
}

const slotOf = (userId: string) => hashSlot(channels.user(userId));
const serves = (shard: Shard, slot: number) => shard.ranges.some(([from, to]) => slot >= from && slot <= to);

/** `perShard` user ids for every shard, named `<prefix>-<n>`, in shard order. */
async function usersOnEveryShard(prefix: string, perShard: number): Promise<string[][]> {
  const shards = await cluster.shards();
  const picked = shards.map(() => [] as string[]);
  for (let n = 0; picked.some((users) => users.length < perShard); n++) {
    const user = `${prefix}-${n}`;
    const index = shards.findIndex((shard) => serves(shard, slotOf(user)));
    if ((picked[index] as string[]).length < perShard) (picked[index] as string[]).push(user);
  }
  return picked;
}


const busDeliveries = async (nodes: readonly NodeProcess[]) =>
  (await Promise.all(nodes.map((node) => readMetric(node.url, 'switchboard_bus_messages_received_total')))).reduce((a, b) => a + b, 0);

/** Registers every inbox for teardown after the test. */
function track(inboxes: Map<string, ResumingInbox>): Map<string, ResumingInbox> {
  running.push(...inboxes.values());
  return inboxes;
}

describe('Redis Cluster, ROUTING=user: sharded pub/sub', () => {
  it('hashSlot agrees with CLUSTER KEYSLOT (hash tags, empty and unclosed braces, non-ASCII ids)', async () => {
    const keys = ['plain', '{}x', 'a{}b{c}', 'x{', '{user1000}.following', 'é{ü}', channels.user('alice'), channels.broadcast];
    for (let i = 0; i < 200; i++) keys.push(channels.user(`user-${i}-é`));
    const client = (cluster.members[0] as (typeof cluster.members)[number]).client;
    const slots = await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key)));
    expect(keys.map(hashSlot)).toEqual(slots);
  });

  it('users on every slot range get their messages; each message reaches only the one node that holds its recipient, through its shard', async () => {
    const nodes = await startNodes(4);
    const shards = await cluster.shards();
    const users = (await usersOnEveryShard('ranges', 2)).flat();
    const probeToken = await tokenFor('probe');
    const inboxes: Inbox[] = [];
    for (const [i, user] of users.entries()) {
      const node = nodes[i % nodes.length] as NodeProcess;
      const client = connect(node.wsUrl, await tokenFor(user));
      running.push({ stop: async () => void (await client.dispose()) });
      inboxes.push(await subscribeReady(client, { userId: user, sendUrl: node.url, probeToken }));
    }
    for (const user of users) {
      // SSUBSCRIBE lives on the primary that serves the channel's slot, once (one node holds the user).
      const owner = shards.find((shard) => serves(shard, slotOf(user)));
      expect(await owner?.primary.client.call('PUBSUB', 'SHARDNUMSUB', channels.user(user))).toEqual([channels.user(user), 1]);
      expect(await owner?.primary.client.call('PUBSUB', 'NUMSUB', channels.user(user))).toEqual([channels.user(user), 0]);
    }

    const before = await busDeliveries(nodes);
    const token = await tokenFor('alice');
    for (const [i, user] of users.entries()) {
      const result = await post((nodes[(i + 1) % nodes.length] as NodeProcess).url, SEND, { to: user, body: `for ${user}` }, token);
      expect(result.errors).toBeUndefined();
    }
    for (const [i, inbox] of inboxes.entries()) {
      expect((await inbox.waitForCount(1)).map((m) => m.body)).toEqual([`for ${users[i]}`]);
    }
    await waitFor('the bus counters to settle', async () => (await busDeliveries(nodes)) - before >= users.length);
    expect((await busDeliveries(nodes)) - before).toBe(users.length); // 1.0 Redis delivery per message
  });

  it('moving slots while messages stream (MIGRATE, SETSLOT): every user still gets every message once, in order', async () => {
    const nodes = await startNodes(3);
    const byShard = await usersOnEveryShard('reshard', 4);
    const users = byShard.flat();
    const inboxes = track(connectUsers(users, nodes));
    const shards = await cluster.shards();
    // The first user of every shard moves to the next shard's primary.
    const moves = byShard.map((group, i) => ({ slot: slotOf(group[0] as string), to: (shards[(i + 1) % shards.length] as Shard).primary }));
    let moving: Promise<void> | undefined;
    const startedAt = Date.now();
    const sent = await streamMessages({
      urls: () => nodes.map((n) => n.url),
      token: await tokenFor('sender'),
      users,
      count: 600,
      concurrency: 4,
      onProgress: (n) => {
        if (n === 150) {
          moving = (async () => {
            for (const { slot, to } of moves) await cluster.moveSlot(slot, to);
          })();
        }
      },
    });
    await moving;
    await expectExactlyOnceInOrder(sent, inboxes);
    for (const { slot, to } of moves) expect(await cluster.ownerOf(slot)).toBe(to);
    report('cluster-reshard', { sent: sent.length, slotsMoved: moves.length, ms: Date.now() - startedAt });
  });

  it('SIGKILL a primary mid-stream (AOF, REDIS_WAIT_REPLICAS=1): its replica takes over, sends fail fast with UNAVAILABLE or succeed, nothing acknowledged is lost, clients resume', async () => {
    const timeoutMs = 1000;
    const nodes = await startNodes(4, { SEND_TIMEOUT_MS: String(timeoutMs), REDIS_WAIT_REPLICAS: '1' });
    const users = (await usersOnEveryShard('failover', 6)).flat();
    const inboxes = track(connectUsers(users, nodes));
    const [victim] = await cluster.shards();
    const attempts: Attempt[] = [];
    let outage: Promise<void> | undefined;
    let killedAt = 0;
    let tookOverMs = 0;
    const sent = await streamMessages({
      urls: () => nodes.map((n) => n.url),
      token: await tokenFor('sender'),
      users,
      count: 900,
      concurrency: 6,
      attempts,
      onProgress: (n) => {
        if (n !== 250) return;
        outage = (async () => {
          killedAt = Date.now();
          await victim?.primary.kill();
          await cluster.waitForHealthy();
          tookOverMs = Date.now() - killedAt;
          // A supervisor restarts it; it rejoins as the new primary's replica (so WAIT 1 holds again).
          await victim?.primary.restart();
        })();
      },
    });
    await outage;
    const failed = attempts.filter((a) => a.outcome !== 'ok');
    report('cluster-primary-kill', {
      sent: sent.length,
      unavailableAnswers: failed.length,
      slowestFailureMs: Math.max(0, ...failed.map((a) => a.ms)),
      replicaTookOverMs: tookOverMs,
    });
    await expectExactlyOnceInOrder(sent, inboxes, 30_000);
    expect(failed.length).toBeGreaterThan(0); // the outage was real
    expect(failed.every((a) => a.outcome === 'unavailable')).toBe(true);
    expect(Math.max(...failed.map((a) => a.ms))).toBeLessThan(timeoutMs + 1_500);
    const promoted = await cluster.ownerOf(victim?.ranges[0]?.[0] ?? 0);
    expect(promoted).toBe(victim?.replicas[0]);
    // Every node that held users of the failed shard subscribed on the new primary and back-filled.
    const backfilled = nodes.filter((node) => node.logs.some((line) => String(line['msg']).includes('back-filling local subscriptions')));
    expect(backfilled.length).toBe(nodes.length);
  });
});
