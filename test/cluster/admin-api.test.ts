import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, admin, openAcked, type AckedSocket } from '../helpers/admin-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { startRedisSentinels, type RedisSentinelSet } from '../helpers/redis-sentinel.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

const HEARTBEAT_MS = 300;
const base = (node: NodeProcess) => `http://127.0.0.1:${node.port}`;

interface Listed {
  readonly id: string;
  readonly connections: number;
  readonly ready: boolean;
  readonly lastSeenAt: string;
  readonly runtime: string;
  readonly eventLoopDelayMs: number;
}

async function listed(node: NodeProcess): Promise<Listed[]> {
  const { status, body } = await admin(base(node), '/admin/api/nodes');
  expect(status).toBe(200);
  return body['nodes'] as Listed[];
}

/** Waits until `node` lists exactly `expected` (id → connections). */
async function untilListing(node: NodeProcess, expected: Record<string, number>): Promise<Listed[]> {
  return waitFor(`${node.nodeId} to list ${JSON.stringify(expected)}`, async () => {
    const nodes = await listed(node);
    const seen = Object.fromEntries(nodes.map((entry) => [entry.id, entry.connections]));
    return JSON.stringify(seen) === JSON.stringify(expected) ? nodes : undefined;
  });
}

const sockets: AckedSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function open(node: NodeProcess, user: string, count = 1): Promise<AckedSocket[]> {
  const opened = await Promise.all(Array.from({ length: count }, async () => openAcked(node.wsUrl, await tokenFor(user))));
  sockets.push(...opened);
  return opened;
}

describe('cluster status and admin API: three nodes on one Redis', () => {
  let redis: RedisProcess;
  let nodes: NodeProcess[];
  beforeAll(async () => {
    redis = await startRedis();
    nodes = await Promise.all(
      ['a', 'b', 'c'].map((id) => startNode({ REDIS_URL: redis.url, NODE_ID: id, ADMIN_TOKEN, HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) })),
    );
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
  });

  it('any node lists the three with their own connection counts, ready, from the heartbeats in Redis', async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    await open(a, 'alice');
    await open(b, 'bob', 2);
    await open(c, 'carol', 3);
    for (const node of nodes) {
      const list = await untilListing(node, { a: 1, b: 2, c: 3 });
      expect(list.every((entry) => entry.ready && entry.runtime === 'node')).toBe(true);
      // Node measures its loop (perf_hooks, at 10 ms resolution), so never a flat 0 between scrapes.
      expect(list.map((entry) => entry.eventLoopDelayMs > 0)).toEqual([true, true, true]);
    }
    const { body } = await admin(base(a), '/admin/api/nodes');
    expect(body['totals']).toMatchObject({ nodes: 3, connections: 6, users: 3 });
    const series = await admin(base(b), '/admin/api/series');
    const points = (series.body['nodes'] as Record<string, Array<{ connections: number }>>)['c'] ?? [];
    expect(points.at(-1)?.connections).toBe(3);
  });

  it("a user's sessions per node, then disconnect: every session on every node closes with 4604, and the answer counts them", async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const dana = [...(await open(a, 'dana', 2)), ...(await open(c, 'dana'))];
    const bystander = (await open(b, 'erin'))[0] as AckedSocket;
    const view = await waitFor('dana on a and c', async () => {
      const { body } = await admin(base(b), '/admin/api/users/dana');
      return (body['sessions'] as unknown[]).length === 2 ? body : undefined;
    });
    expect(view).toMatchObject({ userId: 'dana', online: true, sessions: [{ nodeId: 'a', sessions: 2 }, { nodeId: 'c', sessions: 1 }], unanswered: [] });
    const { status, body } = await admin(base(b), '/admin/api/users/dana/disconnect', { method: 'POST' });
    expect(status).toBe(200);
    expect(body).toEqual({ userId: 'dana', closed: 3, nodes: [{ nodeId: 'a', closed: 2 }, { nodeId: 'b', closed: 0 }, { nodeId: 'c', closed: 1 }], unanswered: [] });
    await waitFor('every session of dana to close', () => dana.every((socket) => socket.closeCode() !== undefined));
    expect(dana.map((socket) => socket.closeCode())).toEqual([4604, 4604, 4604]);
    expect(bystander.closeCode()).toBeUndefined();
    // The line reaches this process through the node's stdout, which may come after the HTTP answer.
    const action = await waitFor('the admin action logged', () =>
      (a.logs as Array<Record<string, unknown>>).concat(b.logs).find((line) => line['msg'] === 'admin action' && line['method'] === 'POST'),
    );
    expect(action).toMatchObject({ who: '127.0.0.1', path: '/admin/api/users/dana/disconnect', closed: 3 });
  });

  it('a wrong or missing token is 401; ten failures from one address, then 429 with Retry-After even for the right token', async () => {
    const a = nodes[0] as NodeProcess;
    expect((await admin(base(a), '/admin/api/nodes', { token: null })).status).toBe(401);
    let last = 0;
    for (let i = 0; i < 9; i += 1) last = (await admin(base(a), '/admin/api/nodes', { token: `${ADMIN_TOKEN}-wrong` })).status;
    expect(last).toBe(401);
    const refused = await admin(base(a), '/admin/api/nodes');
    expect(refused.status).toBe(429);
    expect(refused.body['error']).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await admin(base(nodes[1] as NodeProcess), '/admin/api/nodes')).status).toBe(200); // per node, per address
  });

  it('a bad user id is 400 BAD_USER_INPUT; a wrong method 405', async () => {
    const b = nodes[1] as NodeProcess;
    const long = await admin(base(b), `/admin/api/users/${'x'.repeat(300)}`);
    expect(long.status).toBe(400);
    expect(long.body['error']).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await admin(base(b), '/admin/api/users/bob/disconnect')).status).toBe(405);
  });

  it('a SIGKILLed node leaves the list within three heartbeats', async () => {
    // Asked on b: a refuses this address for a minute after the test above.
    const [, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    await untilListing(b, { a: 0, b: 0, c: 0 });
    await c.kill();
    const killedAt = Date.now();
    await waitFor('c to leave the list', async () => !(await listed(b)).some((entry) => entry.id === 'c'));
    // Three heartbeats of silence, plus the one that notices, plus this poll's own round trip.
    expect(Date.now() - killedAt).toBeLessThan(5 * HEARTBEAT_MS + 1000);
  });
});

describe('admin routes are off without ADMIN_TOKEN, and INTERNAL_PORT moves them', () => {
  it('without ADMIN_TOKEN every /admin path is 404', async () => {
    const node = await startNode({});
    try {
      expect((await admin(base(node), '/admin/api/nodes')).status).toBe(404);
      expect((await admin(base(node), '/admin')).status).toBe(404);
    } finally {
      await node.stop();
    }
  });

  it('with INTERNAL_PORT, /metrics and /admin answer only there (404 on PORT), GraphQL only on PORT, /ready on both; the embedded node lists itself', async () => {
    const node = await startNode({ ADMIN_TOKEN, INTERNAL_PORT: '0', HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) });
    try {
      const line = node.logs.find((entry) => entry['msg'] === 'listening');
      const internal = `http://127.0.0.1:${String(line?.['internalPort'])}`;
      expect(typeof line?.['internalPort']).toBe('number');
      expect((await fetch(`${base(node)}/metrics`)).status).toBe(404);
      expect((await admin(base(node), '/admin/api/nodes')).status).toBe(404);
      expect((await fetch(`${internal}/metrics`)).status).toBe(200);
      expect((await fetch(`${internal}/graphql?query=%7B__typename%7D`)).status).toBe(404);
      for (const at of [base(node), internal]) expect((await fetch(`${at}/ready`)).status).toBe(200);
      const nodes = await waitFor('the node in its own list', async () => {
        const list = (await admin(internal, '/admin/api/nodes')).body['nodes'] as Listed[];
        return list.length === 1 ? list : undefined;
      });
      expect(nodes[0]).toMatchObject({ id: node.nodeId, redis: { mode: 'memory', healthy: true } });
    } finally {
      await node.stop();
    }
  });
});

describe('the list in the other Redis modes and with a Deno node', () => {
  let cluster: RedisCluster | undefined;
  let sentinels: RedisSentinelSet | undefined;
  afterAll(async () => {
    await cluster?.stop();
    await sentinels?.stop();
  });

  it('Redis Cluster: two nodes list each other, and a disconnect reaches both', async () => {
    cluster = await startRedisCluster({ replicas: 0 });
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, ADMIN_TOKEN, HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) };
    const nodes = await Promise.all(['k1', 'k2'].map((id) => startNode({ ...env, NODE_ID: id })));
    try {
      const [k1, k2] = nodes as [NodeProcess, NodeProcess];
      const frank = [...(await open(k1, 'frank')), ...(await open(k2, 'frank'))];
      await untilListing(k2, { k1: 1, k2: 1 });
      const { body } = await admin(base(k1), '/admin/api/users/frank/disconnect', { method: 'POST' });
      expect(body).toMatchObject({ closed: 2, unanswered: [] });
      await waitFor('both of frank’s sockets to close with 4604', () => frank.every((socket) => socket.closeCode() === 4604));
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  });

  it('Sentinel: two nodes list each other', async () => {
    sentinels = await startRedisSentinels();
    const env = { REDIS_SENTINELS: sentinels.sentinelsEnv, REDIS_SENTINEL_NAME: sentinels.name, ADMIN_TOKEN, HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) };
    const nodes = await Promise.all(['s1', 's2'].map((id) => startNode({ ...env, NODE_ID: id })));
    try {
      await open(nodes[1] as NodeProcess, 'gina');
      const list = await untilListing(nodes[0] as NodeProcess, { s1: 0, s2: 1 });
      expect(list.map((entry) => (entry as unknown as { redis: { mode: string } }).redis.mode)).toEqual(['sentinel', 'sentinel']);
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  });

  it('a Deno node beside a Node node: each lists both, with its runtime', async () => {
    const redis = await startRedis();
    const env = { REDIS_URL: redis.url, ADMIN_TOKEN, HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) };
    const nodes = await Promise.all([startNode({ ...env, NODE_ID: 'n' }), startNode({ ...env, NODE_ID: 'd' }, { runtime: 'deno' })]);
    try {
      await open(nodes[1] as NodeProcess, 'hank');
      for (const node of nodes) {
        const list = await untilListing(node, { d: 1, n: 0 });
        expect(list.map((entry) => entry.runtime)).toEqual(['deno', 'node']);
      }
      const deno = (await listed(nodes[0] as NodeProcess))[0] as unknown as { rssBytes: number };
      expect(deno.rssBytes).toBeGreaterThan(0); // Deno.memoryUsage, where prom-client reads 0
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.stop();
    }
  });
});
