import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Client } from 'graphql-ws';
import type { Redis } from 'ioredis';
import { it } from 'vitest';
import { channels } from '../../src/redis/keys.ts';
import { hashSlot } from '../../src/redis/hash-slot.ts';
import { connect, post, SEND, subscribeInbox, subscribeReady, type Inbox } from '../../test/helpers/graphql-client.ts';
import { readMetric } from '../../test/helpers/metrics.ts';
import { startNode, type NodeProcess } from '../../test/helpers/node-process.ts';
import { startRedisCluster } from '../../test/helpers/redis-cluster.ts';
import { startRedis } from '../../test/helpers/redis-server.ts';
import { tokenFor } from '../../test/helpers/tokens.ts';
import { waitFor } from '../../test/helpers/wait-for.ts';

/**
 * The figures docs/SCALING.md is built on, measured in one run on this machine:
 * - 4 nodes on one Redis vs 4 nodes on a 3-primary Redis Cluster, in `user` and `broadcast` routing,
 *   under the same closed-loop send load: throughput, Redis deliveries per message (the nodes'
 *   switchboard_bus_messages_received_total), Redis CPU per message and its spread over the shards
 *   (/proc/<pid>/stat of every redis-server), node CPU per message, cluster-bus traffic;
 * - one node's memory and file descriptors per connected subscription.
 * Sizes: FIG_USERS (default 400 subscribed users), FIG_SECONDS (10 s of load per setup),
 * FIG_CONCURRENCY (24 sends in flight), FIG_CONNECTIONS (2000 sockets for the memory figure).
 */
const USERS = integer('FIG_USERS', 400);
const SECONDS = integer('FIG_SECONDS', 10);
const CONCURRENCY = integer('FIG_CONCURRENCY', 24);
const CONNECTIONS = integer('FIG_CONNECTIONS', 2000);
const NODES = 4;
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : Number(raw);
}

function print(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`FIGURES ${name} ${JSON.stringify(figures)}\n`);
}

/** CPU time (user + system) a process has used so far, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

async function pidOf(redis: Redis): Promise<number> {
  return Number(/process_id:(\d+)/u.exec(await redis.info('server'))?.[1]);
}

/** The Redis a setup runs on: its primaries (for CPU) and the env that points nodes at it. */
interface Backend {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly primaries: ReadonlyArray<{ readonly client: Redis; readonly pid: number; readonly slots: (slot: number) => boolean }>;
  /** Messages the Redis Cluster bus carried between Redis nodes (PUBLISH copies), so far. */
  clusterBusPublishes(): Promise<number>;
  stop(): Promise<void>;
}

async function singleRedis(): Promise<Backend> {
  const redis = await startRedis();
  return {
    name: 'single',
    env: { REDIS_URL: redis.url },
    primaries: [{ client: redis.client, pid: await pidOf(redis.client), slots: () => true }],
    clusterBusPublishes: async () => 0,
    stop: () => redis.stop(),
  };
}

async function redisCluster(): Promise<Backend> {
  const cluster = await startRedisCluster({ primaries: 3, replicas: 0 });
  const shards = await cluster.shards();
  return {
    name: 'cluster-3',
    env: { REDIS_CLUSTER_NODES: cluster.nodesEnv },
    primaries: await Promise.all(
      shards.map(async (shard) => ({
        client: shard.primary.client,
        pid: await pidOf(shard.primary.client),
        slots: (slot: number) => shard.ranges.some(([from, to]) => slot >= from && slot <= to),
      })),
    ),
    async clusterBusPublishes() {
      let total = 0;
      for (const member of cluster.members) {
        const info = (await member.client.cluster('INFO')) as string;
        for (const field of ['cluster_stats_messages_publish_sent', 'cluster_stats_messages_publishshard_sent']) {
          total += Number(new RegExp(`${field}:(\\d+)`, 'u').exec(info)?.[1] ?? 0);
        }
      }
      return total;
    },
    stop: () => cluster.stop(),
  };
}

/** Sends for `seconds` with `CONCURRENCY` in flight, to random users through random nodes. */
async function load(nodes: readonly NodeProcess[], users: readonly string[], seconds: number): Promise<{ acked: number; failed: number; ms: number }> {
  const token = await tokenFor('load-sender');
  let acked = 0;
  let failed = 0;
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  const startedAt = Date.now();
  const until = startedAt + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const node = nodes[random(nodes.length)] as NodeProcess;
        const result = await post(node.url, SEND, { to: users[random(users.length)], body: 'x'.repeat(100) }, token).catch(() => undefined);
        if (result?.data?.['sendMessage'] === undefined) failed += 1;
        else acked += 1;
      }
    }),
  );
  return { acked, failed, ms: Date.now() - startedAt };
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const nodeCpuMs = async (nodes: readonly NodeProcess[]) =>
  1000 * sum(await Promise.all(nodes.map((node) => readMetric(node.url, 'process_cpu_seconds_total'))));
/** Redis `used_memory` summed over the primaries. */
const redisMemory = async (backend: Backend) =>
  sum(await Promise.all(backend.primaries.map(async (p) => Number(/used_memory:(\d+)/u.exec(await p.client.info('memory'))?.[1]))));
const busReceived = async (nodes: readonly NodeProcess[]) =>
  sum(await Promise.all(nodes.map((node) => readMetric(node.url, 'switchboard_bus_messages_received_total'))));

async function measure(backend: Backend, routing: 'user' | 'broadcast'): Promise<Record<string, unknown>> {
  const nodes = await Promise.all(
    Array.from({ length: NODES }, (_, i) => startNode({ ...backend.env, ROUTING: routing, NODE_ID: `fig-${i}` })),
  );
  const clients: Client[] = [];
  try {
    const users = Array.from({ length: USERS }, (_, i) => `fig-${routing}-${i}`);
    const inboxes: Inbox[] = [];
    const probeToken = await tokenFor('probe');

    for (let i = 0; i < users.length; i += 50) {
      inboxes.push(
        ...(await Promise.all(
          users.slice(i, i + 50).map(async (user, j) => {
            const node = nodes[(i + j) % NODES] as NodeProcess;
            const client = connect(node.wsUrl, await tokenFor(user));
            clients.push(client);
            return subscribeReady(client, { userId: user, sendUrl: node.url, probeToken });
          }),
        )),
      );
    }
    // Warm up (JIT, connection pools, script cache), then measure what Redis burns idle (cluster
    // gossip, slot-map refreshes) to subtract it from the loaded figures.
    await load(nodes, users, Math.min(3, SECONDS));
    const idleBefore = backend.primaries.map((p) => cpuMs(p.pid));
    const nodeIdleBefore = await nodeCpuMs(nodes);
    const idleMs = 3000;
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const idlePerMs = backend.primaries.map((p, i) => (cpuMs(p.pid) - (idleBefore[i] as number)) / idleMs);
    const nodeIdlePerMs = ((await nodeCpuMs(nodes)) - nodeIdleBefore) / idleMs / NODES;
    const delivered = () => sum(inboxes.map((inbox) => inbox.messages.length));
    const deliveredBefore = delivered();
    const redisBefore = backend.primaries.map((p) => cpuMs(p.pid));
    const [nodeBefore, busBefore, clusterBusBefore, memoryBefore] = await Promise.all([
      nodeCpuMs(nodes),
      busReceived(nodes),
      backend.clusterBusPublishes(),
      redisMemory(backend),
    ]);
    const { acked, failed, ms } = await load(nodes, users, SECONDS);
    await waitFor('every acknowledged message to be delivered', () => delivered() - deliveredBefore >= acked, {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    const redisCpu = backend.primaries.map((p, i) => Math.max(0, cpuMs(p.pid) - (redisBefore[i] as number) - (idlePerMs[i] as number) * ms));
    const [nodeAfter, busAfter, clusterBusAfter, memoryAfter] = await Promise.all([
      nodeCpuMs(nodes),
      busReceived(nodes),
      backend.clusterBusPublishes(),
      redisMemory(backend),
    ]);
    const usersPerShard = backend.primaries.map((p) => users.filter((user) => p.slots(hashSlot(channels.user(user)))).length);
    return {
      backend: backend.name,
      routing,
      nodes: NODES,
      users: USERS,
      concurrency: CONCURRENCY,
      acked,
      failed,
      perSecond: Math.round((acked * 1000) / ms),
      busDeliveriesPerMessage: round((busAfter - busBefore) / acked, 3),
      clusterBusPublishesPerMessage: round((clusterBusAfter - clusterBusBefore) / acked, 3),
      redisIdleCpuPercentPerShard: idlePerMs.map((value) => round(100 * value, 2)),
      redisCpuMsPerShard: redisCpu.map((value) => Math.round(value)),
      redisCpuShare: redisCpu.map((value) => round(value / Math.max(1, sum(redisCpu)), 3)),
      usersPerShard,
      redisCpuMicrosPerMessage: round((1000 * sum(redisCpu)) / acked, 1),
      busiestShardCpuPercent: round((100 * Math.max(...redisCpu)) / ms, 1),
      nodeIdleCpuPercent: round(100 * nodeIdlePerMs, 2),
      nodeCpuMicrosPerMessage: round((1000 * (nodeAfter - nodeBefore - nodeIdlePerMs * NODES * ms)) / acked, 1),
      // History: the stream entry plus its share of stream nodes (100-byte bodies, no clientMessageId).
      redisBytesPerStoredMessage: Math.round((memoryAfter - memoryBefore) / acked),
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

it('throughput, bus deliveries and Redis CPU per message: 4 nodes on one Redis vs on a 3-shard cluster', async () => {
  const single = await singleRedis();
  const cluster = await redisCluster();
  try {
    for (const routing of ['user', 'broadcast'] as const) {
      for (const backend of [single, cluster]) print('scaling-load', await measure(backend, routing));
    }
  } finally {
    await Promise.all([single.stop(), cluster.stop()]);
  }
});

it('memory and file descriptors per connected subscription on one node', async () => {
  const redis = await startRedis();
  const node = await startNode({ REDIS_URL: redis.url, MAX_CONNECTIONS: String(CONNECTIONS + 100) });
  const clients: Client[] = [];
  try {
    const read = async () => ({
      redis: Number(/used_memory:(\d+)/u.exec(await redis.client.info('memory'))?.[1]),
      rss: await readMetric(node.url, 'process_resident_memory_bytes'),
      heap: await readMetric(node.url, 'nodejs_heap_size_used_bytes'),
      fds: await readMetric(node.url, 'process_open_fds'),
    });
    // Warm up (JIT, pools) with a few sockets, then take the baseline.
    const open = async (from: number, count: number) => {
      for (let i = from; i < from + count; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, from + count - i) }, async (_, j) => {
            const client = connect(node.wsUrl, await tokenFor(`mem-${i + j}`), { lazy: false });
            clients.push(client);
            subscribeInbox(client);
          }),
        );
      }
      await waitFor('the subscriptions to be live', async () => (await readMetric(node.url, 'switchboard_subscriptions_active')) >= from + count, {
        timeoutMs: 120_000,
        intervalMs: 200,
      });
    };
    // Idle sockets still cost CPU (graphql-ws pings each one every 12 s): watch two ping periods.
    const idleMs = 24_500;
    const idleCpu = async () => {
      const start = await nodeCpuMs([node]);
      await new Promise((resolve) => setTimeout(resolve, idleMs));
      return (await nodeCpuMs([node])) - start;
    };
    await open(0, 50);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = await read();
    const idleBefore = await idleCpu();
    const cpuBefore = await nodeCpuMs([node]);
    await open(50, CONNECTIONS);
    const cpuOpening = (await nodeCpuMs([node])) - cpuBefore;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await read();
    const idleAfter = await idleCpu();
    print('scaling-memory', {
      connections: CONNECTIONS,
      rssBytesPerConnection: Math.round((after.rss - before.rss) / CONNECTIONS),
      heapBytesPerConnection: Math.round((after.heap - before.heap) / CONNECTIONS),
      fdsPerConnection: round((after.fds - before.fds) / CONNECTIONS, 3),
      // One SUBSCRIBE channel per user this node holds (user routing), on the Redis side.
      redisBytesPerSubscribedChannel: Math.round((after.redis - before.redis) / CONNECTIONS),
      // Upgrade, JWT check, connection_init, subscribe (attach + tail read): what a reconnect storm costs.
      nodeCpuMicrosPerConnectionOpened: Math.round((1000 * cpuOpening) / CONNECTIONS),
      nodeIdleCpuMicrosPerConnectionSecond: round((1000 * (idleAfter - idleBefore)) / CONNECTIONS / (idleMs / 1000), 2),
      nodeIdleCpuPercentWith50: round((100 * idleBefore) / idleMs, 2),
      baselineRssMiB: round(before.rss / 2 ** 20, 1),
      maxFds: await readMetric(node.url, 'process_max_fds'),
    });
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await node.stop();
    await redis.stop();
  }
});
