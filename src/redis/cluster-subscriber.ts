import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../util/logger.ts';
import type { ChannelListener, ChannelSubscriber, GapEvents } from './channel-subscriber.ts';
import type { ServerOptions } from './connection.ts';
import { describeError, RedisUnavailableError } from './faults.ts';
import { hashSlot } from './hash-slot.ts';
import { MovedError, ShardConnection } from './shard-connection.ts';

/** How long after moving channels to a new primary the node back-fills once more (see `reconcile`). */
const MIGRATION_SETTLE_MS = 2_000;

export interface ClusterSubscriberOptions {
  /** The bus's command connection. Its slot map says which primary serves a channel. */
  readonly cluster: Cluster;
  /**
   * `sharded`: SSUBSCRIBE, for SPUBLISH — a message reaches only the shard of its channel's slot
   * (`user` routing). `classic`: SUBSCRIBE, for PUBLISH — the cluster bus copies every message to
   * every Redis node (`broadcast` routing).
   */
  readonly mode: 'sharded' | 'classic';
  /** Options for each per-primary connection (`serverOptions`). */
  readonly server: ServerOptions;
  readonly gaps: GapEvents;
  readonly logger: Logger;
  /** Called with each connection this subscriber opens (for error and reconnect metrics). */
  readonly watch?: (connection: Redis) => void;
}

/**
 * Pub/sub on a Redis Cluster, managed here rather than by graphql-redis-subscriptions: RedisPubSub has
 * no sharded pub/sub, and ioredis' own `shardedSubscribers` re-subscribes after a topology change
 * without telling when that is in effect, which the node needs to know to back-fill history.
 *
 * Each primary that serves a held channel gets one subscriber connection (`shard-connection.ts`).
 * Held channels follow the cluster's slot map: whenever the command connection re-reads it (every
 * second, and on MOVED), channels whose slot moved (failover, resharding) are subscribed on their
 * new primary, and once that is in effect the node back-fills every local subscription (`resync`) —
 * the messages published on the new primary before then are in history. A shard connection that
 * drops and comes back re-subscribes its channels and back-fills the same way; so does one whose
 * server pushed an unsubscribe because a slot migrated away.
 *
 * From the moment live delivery may have a gap (a shard connection dropped, channels are about to
 * move) until every held channel is subscribed again, local subscriptions are held (`suspend`): a
 * message arriving live on a re-made subscription must not move a client's cursor past one that was
 * missed meanwhile, which the back-fill would then skip. Holding and back-filling are node-wide, so
 * a back-fill never ends a hold while another shard still has a gap.
 */
export function createClusterSubscriber(options: ClusterSubscriberOptions): ChannelSubscriber {
  const { cluster, gaps, logger } = options;
  const shards = new Map<string, ShardConnection>();
  /** Every held channel, with its slot, its listener and the shard it is subscribed on. */
  const held = new Map<string, { readonly slot: number; readonly listener: ChannelListener; shard: ShardConnection }>();
  let closed = false;
  /** Local subscriptions are held: a back-fill is owed once every held channel is subscribed again. */
  let suspended = false;
  /** Re-subscriptions in flight; until they are in effect a back-fill could miss what they bring. */
  let pending = 0;

  const ownerOf = (slot: number): string | undefined => cluster.slots[slot]?.[0];

  const onPayload = (channel: string, payload: string) => {
    const listener = held.get(channel)?.listener;
    if (listener === undefined) return; // unsubscribed while the message was on its way
    let parsed: unknown = payload;
    try {
      parsed = JSON.parse(payload);
    } catch {
      // The listener reports what is not one of its payloads.
    }
    listener(parsed);
  };

  const shardAt = (key: string): ShardConnection => {
    const existing = shards.get(key);
    if (existing !== undefined) return existing;
    const shard: ShardConnection = new ShardConnection(key, {
      server: options.server,
      sharded: options.mode === 'sharded',
      hooks: {
        message: onPayload,
        ready: () => void restore(shard),
        closed: () => {
          if (closed) return;
          if (shard.channels.size > 0) lose(shard);
          refresh();
        },
        moved: refresh,
        pushed: () => {
          logger.warn({ shard: key }, 'redis pushed an unsubscribe (slot migrated): reconnecting the shard subscriber');
          if (shard.channels.size > 0) lose(shard);
          refresh();
        },
      },
    });
    shards.set(key, shard);
    options.watch?.(shard.connection);
    return shard;
  };

  /** Live delivery of `shard`'s channels has a gap from now on: hold local subscriptions until the back-fill. */
  const lose = (shard: ShardConnection) => {
    shard.stale = true;
    suspend();
  };

  const suspend = () => {
    if (suspended) return;
    suspended = true;
    gaps.suspend();
  };

  /** True while every held channel is subscribed on a connected server and no re-subscription is in flight. */
  const inEffect = (): boolean => {
    if (pending > 0) return false;
    for (const shard of shards.values()) if (shard.channels.size > 0 && (shard.stale || !shard.ready)) return false;
    return true;
  };

  /**
   * Back-fills every local subscription, which also ends a hold; while some channel is not subscribed
   * again yet, does nothing (the attempt that completes it comes back here). `why` is logged.
   */
  const resync = (why: string) => {
    if (closed || !inEffect()) return;
    suspended = false;
    logger.warn({}, `${why}: back-filling local subscriptions`);
    gaps.resync();
  };

  /** Subscribes `channels` on `shard`; true when all took. Failures leave the shard stale, for another try. */
  const resubscribe = async (shard: ShardConnection, channels: Iterable<string>): Promise<boolean> => {
    pending += 1;
    let failed: number;
    try {
      const results = await Promise.allSettled([...channels].map((channel) => shard.subscribe(channel)));
      failed = results.filter((result) => result.status === 'rejected').length;
    } finally {
      pending -= 1;
    }
    if (failed === 0) return true;
    shard.stale = true;
    logger.warn({ shard: shard.key, failed }, 'redis shard subscribe incomplete: retrying once the slot map is re-read');
    refresh();
    return false;
  };

  /**
   * On every 'ready' (and on retries): subscribes everything held here, then back-fills if anything
   * may have been missed. An incomplete attempt leaves the shard stale, so the back-fill waits for
   * the attempt that completes.
   */
  const restore = async (shard: ShardConnection) => {
    shard.stale = false;
    if ((await resubscribe(shard, shard.channels)) && suspended) resync('redis pub/sub connection restored');
  };

  const place = (channel: string, slot: number, listener: ChannelListener, shard: ShardConnection) => {
    const current = held.get(channel);
    if (current?.shard === shard) return;
    if (current !== undefined) {
      current.shard.channels.delete(channel);
      current.shard.unsubscribe(channel); // classic channels would still arrive there
    }
    held.set(channel, { slot, listener, shard });
    shard.channels.add(channel);
  };

  const release = (channel: string) => {
    const current = held.get(channel);
    if (current === undefined) return;
    held.delete(channel);
    current.shard.channels.delete(channel);
    current.shard.unsubscribe(channel);
  };

  /** Moves held channels to the primaries the slot map now names; back-fills once they are in effect there. */
  const reconcile = async () => {
    if (closed) return;
    const moved = new Map<ShardConnection, string[]>();
    for (const [channel, { slot, listener, shard }] of held) {
      const owner = ownerOf(slot);
      if (owner === undefined || owner === shard.key) continue;
      // Messages may already be going to the new primary, unseen here: hold before subscribing there.
      suspend();
      const target = shardAt(owner);
      place(channel, slot, listener, target);
      moved.set(target, [...(moved.get(target) ?? []), channel]);
    }
    const primaries = new Set(cluster.slots.map((nodes) => nodes[0]));
    for (const [key, shard] of shards) {
      if (shard.channels.size === 0 && !primaries.has(key)) {
        shards.delete(key);
        shard.disconnect();
      }
    }
    // A connected shard whose last subscribe attempt failed tries again, once a second at most.
    for (const shard of shards.values()) {
      if (shard.stale && !moved.has(shard) && shard.ready) void restore(shard);
    }
    if (moved.size === 0) {
      // A hold whose channels were all released, or whose shard left the slot map, is owed its end.
      if (suspended) resync('redis pub/sub subscriptions in effect again');
      return;
    }
    const connected: Array<Promise<boolean>> = [];
    for (const [shard, channels] of moved) {
      // A shard not connected yet subscribes and back-fills in `restore` once it is.
      if (shard.ready) connected.push(resubscribe(shard, channels));
      else shard.stale = true;
    }
    logger.warn({ shards: [...moved.keys()].map((shard) => shard.key) }, 'redis cluster slots moved: subscribing on the new primaries');
    await Promise.all(connected);
    resync('redis pub/sub moved to new primaries');
    // While a slot migrates, the old primary may still take SPUBLISH for it after this node has
    // moved the channel's subscription to the new one (the slot map can name the new owner before
    // the old one has given the slot up). Those messages are in history but reached no subscriber
    // here, and no reconnect will follow to back-fill them: back-fill once more after the handover.
    setTimeout(() => resync('redis cluster slot handover settled'), MIGRATION_SETTLE_MS);
  };

  let refreshing = false;
  function refresh(): void {
    if (closed || refreshing) return;
    refreshing = true;
    cluster.refreshSlotsCache(() => {
      refreshing = false;
    });
  }
  cluster.on('refresh', () => void reconcile());

  const subscribeOnce = async (channel: string, slot: number, listener: ChannelListener) => {
    const owner = ownerOf(slot);
    if (owner === undefined) throw new Error(`no primary serves slot ${slot}`);
    const shard = shardAt(owner);
    place(channel, slot, listener, shard);
    await shard.whenReady();
    await shard.subscribe(channel);
  };

  return {
    async start() {
      // One connection per primary up front, so the first subscriptions do not wait for a connect.
      for (const key of new Set(cluster.slots.map((nodes) => nodes[0]))) if (key !== undefined) shardAt(key);
    },
    async subscribe(channel, listener) {
      const slot = hashSlot(channel);
      try {
        await subscribeOnce(channel, slot, listener).catch(async (error: unknown) => {
          if (!(error instanceof MovedError)) throw error;
          // Once more on a freshly read slot map: the slot has just moved.
          await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
          if (!held.has(channel)) throw error;
          await subscribeOnce(channel, slot, listener);
        });
      } catch (error) {
        release(channel);
        throw new RedisUnavailableError(`Cannot subscribe: Redis did not answer: ${describeError(error)}`, { cause: error });
      }
    },
    async unsubscribe(channel) {
      release(channel);
    },
    ready: inEffect,
    async close() {
      closed = true;
      held.clear();
      const closing = [...shards.values()].map((shard) => shard.close());
      shards.clear();
      await Promise.allSettled(closing);
    },
  };
}
