import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import type { Attempt } from '../helpers/reliable-sender.ts';
import { startRedisSentinels, type RedisSentinelSet, type SentinelData } from '../helpers/redis-sentinel.ts';
import type { ResumingInbox } from '../helpers/resuming-inbox.ts';
import { connectUsers, expectExactlyOnceInOrder, report, streamMessages, usersNamed } from '../helpers/stream-load.ts';
import { post, SEND } from '../helpers/graphql-client.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { describeDelivery, HISTORY_LIMIT } from '../delivery/delivery-suite.ts';


// One primary + replica + three sentinels for the whole file (AOF on); tests fail over, so the
// primary changes from test to test.
let shared: Promise<RedisSentinelSet> | undefined;
const sentinels = () => (shared ??= startRedisSentinels({ aof: true }));
afterAll(async () => {
  await (await shared)?.stop();
});

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).reverse().map((part) => part.stop()));
});

/** `count` nodes on the sentinels, stopped after the test (or, for a suite's own nodes, by the caller). */
async function startNodes(count: number, env: Record<string, string> = {}, stopAfterTest = true): Promise<NodeProcess[]> {
  const set = await sentinels();
  const nodes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startNode({ REDIS_SENTINELS: set.sentinelsEnv, REDIS_SENTINEL_NAME: set.name, NODE_ID: `sentinel-${i}`, ...env }),
    ),
  );
  if (stopAfterTest) running.push(...nodes);
  return nodes;
}


/**
 * The connections of the three nodes on a data server: each node's one Redis link, its command
 * connection (bus, presence and send rate share it) and its subscriber.
 */
const NODE_CONNECTIONS = ['switchboard-commands', 'switchboard-sub'].flatMap((name) =>
  Array<string>(3).fill(name),
);

async function connectionNames(server: SentinelData): Promise<string[]> {
  const list = (await server.client.call('CLIENT', 'LIST')) as string;
  return list
    .split('\n')
    .map((line) => /\bname=(\S*)/u.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith('switchboard-'))
    .sort();
}

describeDelivery('redis sentinel (primary + replica + 3 sentinels), ROUTING=user, three nodes', async () => {
  const nodes = await startNodes(3, { HISTORY_MAX_PER_USER: String(HISTORY_LIMIT) }, false);
  return { nodes, stop: async () => void (await Promise.all(nodes.map((node) => node.stop()))) };
});

/** Registers every inbox for teardown after the test. */
function track(inboxes: Map<string, ResumingInbox>): Map<string, ResumingInbox> {
  running.push(...inboxes.values());
  return inboxes;
}

describe('Redis Sentinel failover', () => {
  it('SENTINEL FAILOVER mid-stream (AOF, REDIS_WAIT_REPLICAS=1): sends fail fast with UNAVAILABLE or succeed, nothing acknowledged is lost, every connection moves to the new primary', async () => {
    const set = await sentinels();
    const timeoutMs = 1000;
    const nodes = await startNodes(3, { SEND_TIMEOUT_MS: String(timeoutMs), REDIS_WAIT_REPLICAS: '1' });
    const inboxes = track(connectUsers(usersNamed('failover', 20), nodes));
    const old = await set.primary();
    const attempts: Attempt[] = [];
    let failover: Promise<SentinelData> | undefined;
    const sent = await streamMessages({
      urls: () => nodes.map((n) => n.url),
      token: await tokenFor('sender'),
      users: [...inboxes.keys()],
      count: 600,
      concurrency: 4,
      attempts,
      onProgress: (n) => {
        if (n === 150) failover = set.failover();
      },
    });
    const next = (await failover) as SentinelData;
    const failed = attempts.filter((a) => a.outcome !== 'ok');
    report('sentinel-failover', { sent: sent.length, unavailableAnswers: failed.length, slowestFailureMs: Math.max(0, ...failed.map((a) => a.ms)) });
    await expectExactlyOnceInOrder(sent, inboxes, 30_000);
    expect(failed.length).toBeGreaterThan(0); // the switch was real
    expect(failed.every((a) => a.outcome === 'unavailable')).toBe(true);
    expect(Math.max(...failed.map((a) => a.ms))).toBeLessThan(timeoutMs + 1_500);
    expect(next).not.toBe(old);
    expect(await connectionNames(old)).toEqual([]);
    expect(await connectionNames(next)).toEqual(NODE_CONNECTIONS);
  });

  it('an unannounced failover (no +switch-master reaches the nodes) to a new primary while the old one is frozen (SIGSTOP, never demoted) leaves no subscriber behind: messages arrive live and every node stays ready', async () => {
    const set = await sentinels();
    const nodes = await startNodes(3);
    const inboxes = track(connectUsers(usersNamed('stuck', 12), nodes));
    const old = await set.primary();
    // The nodes' +switch-master listeners are gone (ioredis retries them after a minute), the new
    // primary is promoted, and the old one is frozen before the sentinels can reconfigure it: a
    // subscriber left on it would see nothing at all, with its connection open and /ready green.
    await set.killSubscribers();
    const next = await set.failover({ untilDemoted: false });
    old.pause();
    running.push({ stop: async () => old.resume() });
    const sent = await streamMessages({
      urls: () => nodes.map((n) => n.url),
      token: await tokenFor('sender'),
      users: [...inboxes.keys()],
      count: 300,
      concurrency: 4,
    });
    await expectExactlyOnceInOrder(sent, inboxes);
    for (const node of nodes) expect((await fetch(node.url.replace('/graphql', '/ready'))).status).toBe(200);
    expect(await connectionNames(next)).toEqual(NODE_CONNECTIONS);
    expect([...inboxes.values()].every((inbox) => inbox.reconnects === 0)).toBe(true); // the nodes moved, not the clients
    for (const node of nodes) {
      expect(node.logs.some((line) => line['msg'] === 'redis connection is not on the primary the sentinels name: reconnecting')).toBe(true);
    }
  });

  it('SEND_RATE_PER_SECOND on, an unannounced failover with the old primary frozen: sends succeed on the new primary, and the rate limit still refuses there', async () => {
    const set = await sentinels();
    const burst = 5;
    const [node] = await startNodes(1, { SEND_RATE_PER_SECOND: '1', SEND_BURST: String(burst), SEND_TIMEOUT_MS: '1000' });
    const url = (node as NodeProcess).url;
    const old = await set.primary();
    await set.killSubscribers();
    const next = await set.failover({ untilDemoted: false });
    old.pause();
    running.push({ stop: async () => old.resume() });
    // Until the node has moved (the sentinel watch: two checks a second apart) sends fail with
    // UNAVAILABLE; each retry is a fresh user, so no bucket is spent while the node is still moving.
    let attempt = 0;
    await waitFor(
      'a send to succeed on the new primary',
      async () => (await post(url, SEND, { to: 'bob', body: 'after the failover' }, await tokenFor(`warm-${attempt++}`))).data?.['sendMessage'] !== undefined,
      { timeoutMs: 20_000 },
    );
    const token = await tokenFor('limited');
    const answers = [];
    for (let i = 0; i <= burst; i += 1) answers.push(await post(url, SEND, { to: 'bob', body: `burst ${i}` }, token));
    // The limiter runs on the new primary: the burst passes and the one past it is refused. Left on
    // the frozen old primary it would time out and fail open, letting every send through.
    expect(answers.slice(0, burst).map((answer) => answer.errors)).toEqual(Array(burst).fill(undefined));
    expect(answers[burst]?.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(await next.client.exists('sb:{u:limited}:rate:send')).toBe(1);
    expect(await connectionNames(next)).toEqual(['switchboard-commands', 'switchboard-sub']);
  });
});
