import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { presenceNames } from '../../src/redis/keys.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { onlineCount, openTab, watchPresence, type Tab, type Watcher } from '../helpers/presence-client.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { describePresence, PRESENCE_ENV } from './presence-suite.ts';

describePresence('redis store, two nodes', async () => {
  const redis = await startRedis();
  const nodes = await Promise.all([0, 1].map(() => startNode({ REDIS_URL: redis.url, ...PRESENCE_ENV })));
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.stop();
    },
  };
});

const TTL_MS = Number(PRESENCE_ENV.PRESENCE_TTL_SECONDS) * 1000;
const HEARTBEAT_MS = TTL_MS / 3;

/** Sum of a counter over the nodes' /metrics. */
async function counter(nodes: readonly NodeProcess[], name: string): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    const text = await (await fetch(node.url.replace('/graphql', '/metrics'))).text();
    const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
    total += Number(line?.split(' ')[1] ?? 0);
  }
  return total;
}

describe('presence: a node that leaves (redis store)', () => {
  let redis: RedisProcess;
  let survivors: NodeProcess[];
  const open: Array<Tab | Watcher> = [];
  const tab = async (node: NodeProcess, userId: string) => {
    const opened = await openTab(node.wsUrl, userId);
    open.push(opened);
    return opened;
  };
  const watch = async (node: NodeProcess, watcherId: string, watched: string[]) => {
    const watcher = await watchPresence(node.wsUrl, watcherId, watched);
    open.push(watcher);
    return watcher;
  };
  const leases = () => redis.client.zcard(presenceNames.leases);

  beforeAll(async () => {
    redis = await startRedis();
    survivors = await Promise.all([0, 1].map(() => startNode({ REDIS_URL: redis.url, ...PRESENCE_ENV })));
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((item) => item.close()));
    await Promise.all(survivors.map((node) => node.stop()));
    await redis.stop();
  });
  beforeEach(async () => {
    await Promise.allSettled(open.splice(0).map((item) => item.close()));
    await waitFor('nobody online', async () => (await onlineCount(survivors[0]!.url)) === 0);
  });

  it('SIGKILL: its users go offline within the TTL plus one heartbeat, announced once to watchers on every node', async () => {
    const [a, b] = survivors as [NodeProcess, NodeProcess];
    const victim = await startNode({ REDIS_URL: redis.url, ...PRESENCE_ENV });
    const watched = ['alice', 'bob', 'dave', 'marker'];
    const watchers = [await watch(a, 'watcher-a', watched), await watch(b, 'watcher-b', watched)];
    await tab(a, 'alice');
    await tab(victim, 'alice');
    await tab(victim, 'bob');
    await tab(victim, 'bob');
    await tab(victim, 'dave');
    const before = ['alice off', 'bob off', 'dave off', 'marker off', 'alice on', 'bob on', 'dave on'];
    for (const watcher of watchers) expect(await watcher.waitForCount(7)).toEqual(before);
    expect(await onlineCount(a.url)).toBe(5);
    const reapedBefore = await counter(survivors, 'switchboard_presence_reaped_leases_total');

    const killedAt = Date.now();
    await victim.kill();
    for (const watcher of watchers) await watcher.waitForCount(9, TTL_MS + HEARTBEAT_MS + 2000);
    for (const watcher of watchers) {
      expect(watcher.events.slice(7).sort()).toEqual(['bob off', 'dave off']);
      // Never before the lease could have expired (its last heartbeat was at most a third of the TTL ago).
      expect(watcher.arrivals[7]! - killedAt).toBeGreaterThanOrEqual(TTL_MS - HEARTBEAT_MS - 100);
    }
    // Once the lease is gone nobody can reap it again; a marker published after that arrives after
    // anything published before, so the lists below are final.
    await waitFor('the dead lease reaped', async () => (await leases()) === 2);
    await tab(b, 'marker');
    for (const watcher of watchers) {
      await watcher.waitForCount(10);
      expect(watcher.events.slice(7, 9).sort()).toEqual(['bob off', 'dave off']);
      expect(watcher.events).toHaveLength(10);
      expect(watcher.events[9]).toBe('marker on');
    }
    expect(await counter(survivors, 'switchboard_presence_reaped_leases_total')).toBe(reapedBefore + 1);
    // watcher-a, watcher-b, alice (her tab on a), marker.
    expect(await onlineCount(b.url)).toBe(4);
  });

  it('SIGTERM: its users stay online for the grace period, so those who reconnect elsewhere never go offline', async () => {
    const [a] = survivors as [NodeProcess];
    const leaving = await startNode({ REDIS_URL: redis.url, ...PRESENCE_ENV });
    const watcher = await watch(a, 'watcher', ['bob', 'dave', 'marker']);
    await tab(leaving, 'bob');
    await tab(leaving, 'dave');
    await watcher.waitForCount(5);
    await leaving.stop(); // closes its sockets with 1001
    await tab(a, 'bob'); // bob's client reconnects elsewhere; dave's does not
    await watcher.waitForCount(6, 1000 * Number(PRESENCE_ENV.PRESENCE_GRACE_SECONDS) + HEARTBEAT_MS + 2000);
    await waitFor('the stopped lease reaped', async () => (await leases()) === 2);
    await tab(a, 'marker');
    await watcher.waitForCount(7);
    expect(watcher.events).toEqual(['bob off', 'dave off', 'marker off', 'bob on', 'dave on', 'dave off', 'marker on']);
    expect(await onlineCount(a.url)).toBe(3);
  });
});
