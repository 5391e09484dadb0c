import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.ts';
import { BusUnavailableError } from './bus.ts';
import type { ChannelSubscriber, SubscriberEvents } from './channel-subscriber.ts';
import { hashSlot } from './hash-slot.ts';

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
  readonly server: RedisOptions;
  readonly events: SubscriberEvents;
  readonly logger: Logger;
  /** Called with each connection this subscriber opens (for error and reconnect metrics). */
  readonly watch?: (connection: Redis) => void;
}

/** One subscriber connection to one primary, and the held channels that primary serves. */
interface Shard {
  /** `host:port`, as in the cluster's slot map. */
  readonly key: string;
  readonly connection: Redis;
  readonly channels: Set<string>;
  /** Its subscriptions must be (re)made and history back-filled once it is ready: it lost its connection, or channels moved here. */
  stale: boolean;
}

/**
 * Pub/sub on a Redis Cluster, managed here rather than by graphql-redis-subscriptions: RedisPubSub has
 * no sharded pub/sub, and ioredis' own `shardedSubscribers` re-subscribes after a topology change
 * without telling when that is in effect, which the node needs to know to back-fill history.
 *
 * Each primary that serves a held channel gets one subscriber connection. Held channels follow the
 * cluster's slot map: whenever the command connection re-reads it (every second, and on MOVED),
 * channels whose slot moved (failover, resharding) are subscribed on their new primary, and once that
 * is in effect the node back-fills every local subscription (`resync`) — the messages published on
 * the new primary before then are in history. A shard connection that drops and comes back
 * re-subscribes its channels and back-fills the same way, per shard. When a slot migrates, Redis
 * itself unsubscribes the old primary's clients with an unsolicited SUNSUBSCRIBE, which ioredis
 * cannot pair with a command ("Command queue state error"): that connection is reconnected, so its
 * command/reply pairing and its subscriptions are rebuilt from this module's state, not trusted.
 */
export function createClusterSubscriber(options: ClusterSubscriberOptions): ChannelSubscriber {
  const { cluster, events, logger } = options;
  const sharded = options.mode === 'sharded';
  const timeoutMs = options.server.commandTimeout ?? 2000;
  const shards = new Map<string, Shard>();
  /** Every held channel, with its slot and the shard it is subscribed on. */
  const held = new Map<string, { readonly slot: number; shard: Shard }>();
  let closed = false;

  const ownerOf = (slot: number): string | undefined => cluster.slots[slot]?.[0];
  const subscribeOn = (shard: Shard, channel: string) =>
    untilMoved(shard, sharded ? shard.connection.ssubscribe(channel) : shard.connection.subscribe(channel));
  const unsubscribeOn = (shard: Shard, channel: string) => {
    if (shard.connection.status !== 'ready') return;
    const done = sharded ? shard.connection.sunsubscribe(channel) : shard.connection.unsubscribe(channel);
    done.catch(() => {});
  };

  const onPayload = (_channel: string, payload: string) => {
    let parsed: unknown = payload;
    try {
      parsed = JSON.parse(payload);
    } catch {
      // The bus reports what is not a message.
    }
    events.message(parsed);
  };

  const shardAt = (key: string): Shard => {
    const existing = shards.get(key);
    if (existing !== undefined) return existing;
    const separator = key.lastIndexOf(':');
    const connection = new Redis({
      ...options.server,
      host: key.slice(0, separator),
      port: Number(key.slice(separator + 1)),
      // This module re-subscribes, from its own state, and only then back-fills.
      autoResubscribe: false,
    });
    const shard: Shard = { key, connection, channels: new Set(), stale: false };
    shards.set(key, shard);
    options.watch?.(connection);
    connection.on(sharded ? 'smessage' : 'message', onPayload);
    connection.on('ready', () => void restore(shard));
    connection.on('close', () => {
      if (closed) return;
      if (shard.channels.size > 0) shard.stale = true;
      refresh();
    });
    // An SSUBSCRIBE answered MOVED: our slot map is out of date.
    connection.on('moved', refresh);
    connection.on('error', (error: Error) => {
      if (error.message.startsWith('Command queue state error')) {
        logger.warn({ shard: key }, 'redis pushed an unsubscribe (slot migrated): reconnecting the shard subscriber');
        shard.stale = true;
        connection.disconnect(true);
        refresh();
      }
    });
    connection.connect().catch(() => {}); // it retries on its own; 'ready' does the rest
    return shard;
  };

  /** Subscribes `channels` on `shard`; true when all took. Failures mark the shard for another try. */
  const resubscribe = async (shard: Shard, channels: Iterable<string>): Promise<boolean> => {
    const results = await Promise.allSettled([...channels].map((channel) => subscribeOn(shard, channel)));
    const failed = results.filter((result) => result.status === 'rejected').length;
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
  const restore = async (shard: Shard) => {
    const backfill = shard.stale;
    shard.stale = false;
    if ((await resubscribe(shard, shard.channels)) && backfill) {
      logger.warn({ shard: shard.key }, 'redis pub/sub connection restored: back-filling local subscriptions');
      events.resync();
    }
  };

  const place = (channel: string, slot: number, shard: Shard) => {
    const current = held.get(channel);
    if (current?.shard === shard) return;
    if (current !== undefined) {
      current.shard.channels.delete(channel);
      unsubscribeOn(current.shard, channel); // classic channels would still arrive there
    }
    held.set(channel, { slot, shard });
    shard.channels.add(channel);
  };

  const release = (channel: string) => {
    const current = held.get(channel);
    if (current === undefined) return undefined;
    held.delete(channel);
    current.shard.channels.delete(channel);
    return current.shard;
  };

  /** Moves held channels to the primaries the slot map now names; back-fills once they are in effect there. */
  const reconcile = async () => {
    if (closed) return;
    const moved = new Map<Shard, string[]>();
    for (const [channel, { slot, shard }] of held) {
      const owner = ownerOf(slot);
      if (owner === undefined || owner === shard.key) continue;
      const target = shardAt(owner);
      place(channel, slot, target);
      moved.set(target, [...(moved.get(target) ?? []), channel]);
    }
    const primaries = new Set(cluster.slots.map((nodes) => nodes[0]));
    for (const [key, shard] of shards) {
      if (shard.channels.size === 0 && !primaries.has(key)) {
        shards.delete(key);
        shard.connection.disconnect();
      }
    }
    // A connected shard whose last subscribe attempt failed tries again, once a second at most.
    for (const shard of shards.values()) {
      if (shard.stale && !moved.has(shard) && shard.connection.status === 'ready') void restore(shard);
    }
    if (moved.size === 0) return;
    const connected: Array<Promise<boolean>> = [];
    for (const [shard, channels] of moved) {
      // A shard not connected yet subscribes and back-fills in `restore` once it is.
      if (shard.connection.status === 'ready') connected.push(resubscribe(shard, channels));
      else shard.stale = true;
    }
    logger.warn({ shards: [...moved.keys()].map((shard) => shard.key) }, 'redis cluster slots moved: subscribing on the new primaries');
    await Promise.all(connected);
    if (connected.length > 0) {
      logger.warn({}, 'redis pub/sub moved to new primaries: back-filling local subscriptions');
      events.resync();
    }
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

  /** Rejects as soon as the connection reports MOVED: ioredis never settles an SSUBSCRIBE that got it. */
  function untilMoved<T>(shard: Shard, command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onMoved = () => reject(new MovedError(`${shard.key} no longer serves the channel's slot`));
      shard.connection.once('moved', onMoved);
      command.then(resolve, reject).finally(() => shard.connection.off('moved', onMoved));
    });
  }

  const whenReady = (shard: Shard) =>
    shard.connection.status === 'ready'
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            shard.connection.off('ready', onReady);
            reject(new Error(`no connection to ${shard.key} within ${timeoutMs} ms`));
          }, timeoutMs);
          const onReady = () => {
            clearTimeout(timer);
            resolve();
          };
          shard.connection.once('ready', onReady);
        });

  const subscribeOnce = async (channel: string, slot: number) => {
    const owner = ownerOf(slot);
    if (owner === undefined) throw new Error(`no primary serves slot ${slot}`);
    const shard = shardAt(owner);
    place(channel, slot, shard);
    await whenReady(shard);
    await subscribeOn(shard, channel);
  };

  return {
    async start() {
      // One connection per primary up front, so the first subscriptions do not wait for a connect.
      for (const key of new Set(cluster.slots.map((nodes) => nodes[0]))) if (key !== undefined) shardAt(key);
    },
    async subscribe(channel) {
      const slot = hashSlot(channel);
      try {
        await subscribeOnce(channel, slot).catch(async (error: unknown) => {
          if (!(error instanceof MovedError)) throw error;
          // Once more on a freshly read slot map: the slot has just moved.
          await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
          if (!held.has(channel)) throw error;
          await subscribeOnce(channel, slot);
        });
      } catch (error) {
        const shard = release(channel);
        if (shard !== undefined) unsubscribeOn(shard, channel);
        throw new BusUnavailableError(`Cannot subscribe: Redis did not answer: ${describe(error)}`, { cause: error });
      }
    },
    async unsubscribe(channel) {
      const shard = release(channel);
      if (shard !== undefined) unsubscribeOn(shard, channel);
    },
    ready() {
      for (const shard of shards.values()) {
        if (shard.channels.size > 0 && (shard.stale || shard.connection.status !== 'ready')) return false;
      }
      return true;
    },
    async close() {
      closed = true;
      held.clear();
      const connections = [...shards.values()].map((shard) => shard.connection);
      shards.clear();
      await Promise.allSettled(connections.map((connection) => connection.quit()));
      for (const connection of connections) connection.disconnect();
    },
  };
}

class MovedError extends Error {
  override readonly name = 'MovedError';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
