import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { presenceNames } from '../../src/redis/keys.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { createNodePresence } from '../../src/presence/node-presence.ts';
import type { Presence, PresenceSession } from '../../src/presence/presence.ts';
import { onOwnLink, standaloneLink } from '../helpers/redis-link.ts';
import { createRedisPresenceStore } from '../../src/presence/redis-store.ts';
import { REAP_SCRIPT } from '../../src/presence/redis-scripts.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { watchReader } from '../helpers/watch-reader.ts';

const TTL_MS = 1200;

/** Calls per command since the last CONFIG RESETSTAT (commands run inside scripts included). */
async function commandCalls(redis: RedisProcess): Promise<Record<string, number>> {
  const info = (await redis.client.info('commandstats')) as string;
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gmu)) calls[match[1] as string] = Number(match[2]);
  return calls;
}

/** Lease id → expiry, from Redis. */
async function leases(redis: RedisProcess): Promise<Map<string, number>> {
  const flat = await redis.client.zrange(presenceNames.leases, 0, -1, 'WITHSCORES');
  const result = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) result.set(flat[i] as string, Number(flat[i + 1]));
  return result;
}

describe('redis presence store (in-process nodes, real Redis)', () => {
  let redis: RedisProcess;
  const nodes: Presence[] = [];
  const node = async (nodeId: string, graceMs = 0) => {
    const store = onOwnLink(standaloneLink(redis.url, 1000), (link) =>
      createRedisPresenceStore({ link, nodeId, ttlMs: TTL_MS, graceMs, logger: silentLogger }),
    );
    const presence = createNodePresence(store, { graceMs, logger: silentLogger });
    await presence.start();
    nodes.push(presence);
    return presence;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((presence) => presence.close()));
    await redis.client.flushall();
  });
  afterAll(() => redis.stop());

  it('a heartbeat renews the lease only: it rewrites no user, however many the node holds', async () => {
    const presence = await node('hb');
    const sessions = Array.from({ length: 200 }, (_, index) => presence.openSession(`user-${index}`));
    await Promise.all(sessions.map((session) => session.recorded));
    await redis.client.config('RESETSTAT');
    const [lease, first] = [...(await leases(redis))][0] as [string, number];
    // Two heartbeats later the lease's expiry has moved twice.
    let renewals = 0;
    let last = first;
    await waitFor('two heartbeats', async () => {
      const expiry = (await leases(redis)).get(lease) as number;
      if (expiry > last) [renewals, last] = [renewals + 1, expiry];
      return renewals >= 2;
    });
    const calls = await commandCalls(redis);
    for (const write of ['hset', 'hincrby', 'hdel', 'del', 'publish']) expect(calls[write] ?? 0).toBe(0);
    expect(calls['zadd']).toBeGreaterThanOrEqual(2);
    expect(await presence.onlineCount()).toBe(200);
  });

  it('counts users once and sessions per user across nodes', async () => {
    const [a, b] = [await node('a'), await node('b')];
    const opened: PresenceSession[] = [a.openSession('u'), a.openSession('u'), b.openSession('u'), b.openSession('v')];
    await Promise.all(opened.map((session) => session.recorded));
    expect(await b.onlineCount()).toBe(2);
    expect(await a.sessionCount('u')).toBe(3);
    expect(await a.isOnline(['v', 'w', 'u'])).toEqual([true, false, true]);
    opened[2]?.close();
    opened[0]?.close();
    await waitFor('two sessions of u left', async () => (await b.sessionCount('u')) === 1);
    expect(await b.onlineCount()).toBe(2);
  });

  it('a node whose lease was reaped while it lived (paused past the TTL) writes its share again: offline, then online', async () => {
    const [a, b] = [await node('alive'), await node('reaper')];
    const read = watchReader(await b.watch(['u']));
    /** The next events the watch has, once it has some (events come through Redis pub/sub). */
    const next = () => waitFor('presence events', async () => {
      const seen = await read();
      return seen.length === 0 ? undefined : seen;
    });
    expect(await next()).toEqual(['u off']);
    await a.openSession('u').recorded;
    expect(await next()).toEqual(['u on']);
    const lease = [...(await leases(redis)).keys()].find((id) => id.startsWith('alive/')) as string;
    // As if 'alive' had missed every heartbeat for longer than the TTL and another node reaped it (u
    // goes offline); 'alive' then finds its lease gone at its next heartbeat and writes its share again.
    const { leases: leasesKey, online, sessions, seq, events } = presenceNames;
    await redis.client
      .multi()
      .zadd(leasesKey, '1', lease)
      .eval(REAP_SCRIPT, 5, leasesKey, presenceNames.share(lease), online, sessions, seq, events, lease)
      .exec();
    expect(await next()).toEqual(['u off']);
    expect(await next()).toEqual(['u on']);
    expect(await b.sessionCount('u')).toBe(1);
    expect(await b.onlineCount()).toBe(1);
  });

  it('Redis losing every key: each node rewrites its share at its next heartbeat, and watchers see no change', async () => {
    const [a, b] = [await node('a'), await node('b')];
    await Promise.all([a.openSession('u').recorded, b.openSession('v').recorded, b.openSession('v').recorded]);
    const ready = watchReader(await a.watch(['u', 'v']));
    expect((await ready()).sort()).toEqual(['u on', 'v on']); // the first events come from the snapshot, at once
    await redis.client.flushall();
    await waitFor('shares rewritten', async () => (await a.onlineCount()) === 2 && (await a.sessionCount('v')) === 2);
    // A change after the rewrite still gets through: the event sequence kept growing past the old one.
    const w = b.openSession('w');
    await w.recorded;
    expect(await a.isOnline(['w'])).toEqual([true]);
    expect(await ready()).toEqual([]);
    const later = watchReader(await a.watch(['w']));
    expect(await later()).toEqual(['w on']);
    w.close();
    await waitFor('w offline', async () => (await later()).join() === 'w off');
  });

  it('session changes made while Redis was down are written once it is back', async () => {
    const presence = await node('outage');
    const kept = presence.openSession('u');
    await kept.recorded;
    await redis.kill();
    const during = presence.openSession('v');
    await during.recorded; // settles: the write failed, the node remembers it
    kept.close();
    await redis.restart();
    await waitFor('the share rewritten', async () => (await presence.onlineCount()) === 1);
    expect(await presence.isOnline(['u', 'v'])).toEqual([false, true]);
    expect(await presence.sessionCount('v')).toBe(1);
  });
});
