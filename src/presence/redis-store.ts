import { presenceNames } from '../redis/keys.ts';
import type { RedisLink } from '../redis/link.ts';
import { classifyRedisError, describeError, FATAL_AT_START } from '../redis/faults.ts';
import { persist } from '../util/backoff.ts';
import { createBatcher } from '../util/batcher.ts';
import { createFaultLog } from '../util/fault-log.ts';
import type { Logger } from '../util/logger.ts';
import { PresenceUnavailableError } from './presence.ts';
import type { PresenceMetrics } from './presence-metrics.ts';
import type { PresenceStore, StoreHooks } from './presence-store.ts';
import { asStoreEvent, withPresenceScripts } from './redis-scripts.ts';

export interface RedisPresenceOptions {
  /** The node's Redis link (standalone, Sentinel or Cluster), shared with the bus; its owner closes it. */
  readonly link: RedisLink;
  /** Names this node's lease (a random suffix keeps a restarted node apart from its dead predecessor). */
  readonly nodeId: string;
  /** A node that stops heartbeating is reaped this long after its last heartbeat. */
  readonly ttlMs: number;
  /** After a graceful stop, the node's users stay online this long (they may reconnect elsewhere). */
  readonly graceMs: number;
  readonly logger: Logger;
  readonly metrics?: PresenceMetrics;
}

/** Expired leases looked at per heartbeat; more are reaped on the following ones. */
const REAP_PER_HEARTBEAT = 16;

/**
 * Presence in Redis. Each node keeps its share (user → its sessions) in a hash under a lease it
 * renews every ttl/3 by rewriting the lease's score only; a session change is one script that touches
 * O(1) keys; the online count is an HLEN. Every heartbeat also lists expired leases, and REAP_SCRIPT
 * removes one atomically and publishes its users' offline events, so exactly one node emits them.
 * When a write fails or the lease was lost, the node rewrites its whole share (SYNC_SCRIPT), which
 * publishes only the differences. Costs: docs/PRESENCE.md.
 */
export function createRedisPresenceStore(options: RedisPresenceOptions): PresenceStore {
  const { nodeId, ttlMs, graceMs, logger, metrics } = options;
  const lease = `${nodeId}/${crypto.randomUUID().slice(0, 8)}`;
  const { link } = options;
  // The link's connections fail at once rather than queue: a failed write is repaired by the next
  // full sync, never replayed late.
  const commands = withPresenceScripts(link.commands);
  const { leases, online, sessions, seq, events: channel } = presenceNames;
  const keysOf = (leaseId: string) => [leases, presenceNames.share(leaseId), online, sessions, seq];

  let hooks: StoreHooks | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let beating = false;
  let closing = false;
  // Redis may not match this node's account (a write failed, or the lease is gone) until a full sync.
  let needsSync = true;
  let failures = 0;
  let syncing: Promise<boolean> | undefined;
  let syncAgain = false;
  /** Full syncs begun so far: a queued change from an earlier generation is in the share a sync wrote. */
  let generation = 0;

  // A failing Redis fails every heartbeat: once per interval per kind of failure is enough (the link
  // logs the connections' own errors).
  const faults = createFaultLog(logger);
  const warn = (what: string, error: unknown) => {
    const fault = classifyRedisError(error);
    faults.report(`${what}:${fault}`, { fault, err: describeError(error) }, `presence: ${what}`);
  };
  const unavailable = (what: string, error: unknown) =>
    new PresenceUnavailableError(`Cannot ${what}: Redis did not answer: ${describeError(error)}`, {
      cause: error,
    });
  const failed = () => {
    needsSync = true;
    failures += 1;
  };

  /** Writes the whole share; resolves true when Redis now matches the node. Calls made meanwhile coalesce. */
  const sync = (reason: 'start' | 'lease_lost' | 'repair'): Promise<boolean> => {
    if (syncing !== undefined) {
      syncAgain = true;
      return syncing;
    }
    syncing = (async () => {
      try {
        do {
          syncAgain = false;
          const seen = failures;
          generation += 1;
          const share: string[] = [];
          for (const [userId, count] of hooks?.share() ?? []) share.push(userId, String(count));
          await commands.presenceSync(...keysOf(lease), channel, lease, String(ttlMs), ...share);
          if (failures === seen) needsSync = false;
          metrics?.syncs.inc({ reason });
          logger.info({ reason, users: share.length / 2 }, 'presence: wrote this node’s whole share');
        } while (syncAgain && !closing);
        return !needsSync;
      } catch (error) {
        failed();
        warn('writing this node’s share failed (retried on the next heartbeat)', error);
        return false;
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  };

  const reap = async (expired: string) => {
    if (expired === lease) return;
    if ((await commands.presenceReap(...keysOf(expired), channel, expired)) !== 1) return;
    metrics?.reaped.inc();
    logger.info({ lease: expired }, 'presence: reaped the lease of a node that stopped heartbeating');
  };

  const beat = async () => {
    if (beating || closing) return;
    beating = true;
    try {
      if (needsSync && !(await sync('repair'))) return;
      const [status, ...expired] = await commands.presenceHeartbeat(leases, lease, String(ttlMs), String(REAP_PER_HEARTBEAT));
      if (status === 'lost') {
        logger.warn({ lease }, 'presence: this node’s lease was gone (reaped, or Redis lost it): rewriting its share');
        await sync('lease_lost');
      }
      for (const leaseId of expired) await reap(leaseId);
    } catch (error) {
      warn('heartbeat failed', error);
    } finally {
      beating = false;
    }
  };

  // The link's subscriber keeps the events channel subscribed across reconnects, failovers and (on a
  // Cluster) topology changes, and says when missed events must be made up for: then watchers re-read.
  const onEvent = (payload: unknown) => {
    const event = asStoreEvent(payload);
    if (event === undefined) logger.warn({}, 'presence: dropped an event payload that is not a presence event');
    else hooks?.deliver(event);
  };
  const subscriber = link.subscriber('classic', { resync: () => hooks?.resync(), suspend: () => {} });

  let commandsReadyBefore = false;
  commands.on('ready', () => {
    if (commandsReadyBefore && needsSync && !closing) void sync('repair');
    commandsReadyBefore = true;
  });

  // Session changes asked for while a script call is in flight go out together in the next one
  // (`bus/batcher.ts`), and so do session counts (one HMGET): a reconnect storm's thousands of
  // sessions cost a few round trips, not one each. A change queued before a full sync began is in
  // the share that sync writes, so it is dropped rather than applied twice.
  const writeChanges = createBatcher<{ readonly args: readonly [string, string, string]; readonly generation: number }, void>(async (batch) => {
    const due = batch.filter((change) => change.generation === generation);
    if (needsSync) {
      // The next sync carries them; if one is running it may have read the share before them.
      if (syncing !== undefined) syncAgain = true;
    } else if (due.length > 0) {
      try {
        const reply = await commands.presenceChange(...keysOf(lease), channel, lease, ...due.flatMap((change) => change.args));
        if (reply === 'lost') {
          failed();
          void sync('lease_lost');
        }
      } catch (error) {
        failed();
        warn('session changes were not recorded (repaired by the next heartbeat)', error);
      }
    }
    return batch.map(() => undefined);
  });
  const readSessionCounts = createBatcher<string, number>(async (userIds) =>
    (await commands.hmget(sessions, ...userIds)).map((count) => Number(count ?? 0)),
  );

  return {
    async start(given) {
      hooks = given;
      await link.start();
      await persist(() => subscriber.subscribe(channel, onEvent), {
        isFatal: (error) => FATAL_AT_START.has(classifyRedisError(error)),
        stopped: () => closing,
      });
      // A refused first write (Redis full, say) is logged by `sync` and repaired by the heartbeat:
      // the node starts, and presence catches up once Redis takes writes again.
      await sync('start');
      await beat();
      heartbeat = setInterval(() => void beat(), Math.max(1, Math.floor(ttlMs / 3)));
    },
    async change(userId, delta, release) {
      if (needsSync) {
        // The next sync carries this change; if one is running it may have read the share before it.
        if (syncing !== undefined) syncAgain = true;
        return;
      }
      await writeChanges({ args: [userId, String(delta), release ? '1' : '0'], generation });
    },
    async onlineCount() {
      try {
        return await commands.hlen(online);
      } catch (error) {
        throw unavailable('count online users', error);
      }
    },
    async snapshot(userIds) {
      let reply: string[];
      try {
        reply = await commands.presenceSnapshot(online, seq, ...userIds);
      } catch (error) {
        throw unavailable('read presence', error);
      }
      const [sequence, at, ...flags] = reply;
      return { seq: Number(sequence), at: Number(at), online: flags.map((flag) => flag === '1') };
    },
    async sessionCount(userId) {
      try {
        return await readSessionCounts(userId);
      } catch (error) {
        throw unavailable('count sessions', error);
      }
    },
    async close() {
      closing = true;
      clearInterval(heartbeat);
      hooks = undefined;
      try {
        await commands.presenceLeave(leases, lease, String(graceMs));
      } catch (error) {
        warn('leaving failed: this node’s users stay online until its lease expires', error);
      }
      await subscriber.unsubscribe(channel);
    },
  };
}
