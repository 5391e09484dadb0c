import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';
import type { Logger } from '../util/logger.ts';
import { connectRedis } from './connection.ts';
import { BusUnavailableError } from '../bus/bus.ts';
import type { ChannelSubscriber, SubscriberEvents } from './channel-subscriber.ts';
import { coalesceSubscriptions } from './coalesced-subscriptions.ts';

export interface ServerSubscriberOptions {
  /** The subscriber connection (standalone or Sentinel-managed), not yet connected. */
  readonly connection: Redis;
  /** The command connection; RedisPubSub requires one, it never publishes on it here. */
  readonly publisher: Redis;
  readonly events: SubscriberEvents;
  readonly logger: Logger;
}

/**
 * Classic pub/sub (SUBSCRIBE) on one Redis server — standalone, or whichever primary the sentinels
 * name. graphql-redis-subscriptions' RedisPubSub manages the connection's channels; ioredis
 * re-subscribes them after a reconnect, and with Sentinel the reconnect goes to the current primary
 * (see `createRedisConnection`), so after a failover the subscription follows the primary.
 */
export function createServerSubscriber(options: ServerSubscriberOptions): ChannelSubscriber {
  const { connection, events, logger } = options;
  // Channels asked for while a SUBSCRIBE is in flight go out together in the next one (a storm's
  // thousands of attaches cost a few round trips, not one each).
  const coalesced = coalesceSubscriptions(connection);
  const pubsub = new RedisPubSub({ publisher: options.publisher, subscriber: coalesced.subscriber });
  const subscriptionIds = new Map<string, number>();
  // One handler for every channel (not a closure per subscribed user).
  const onMessage = (payload: unknown) => events.message(payload);
  let connectedOnce = false;

  connection.on('close', () => {
    if (connectedOnce) events.suspend?.();
  });
  connection.on('ready', () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    // ioredis emits 'ready' *before* it re-sends SUBSCRIBE for our channels; a PING queued after
    // them answers once they are in effect, and only then may back-fill read history, or a message
    // published in between would be missed by both.
    // Back-fill even when the PING fails (a timeout on a busy server): a back-fill too early is only
    // wasted, one never made is a gap; a further drop brings another 'ready' and another back-fill.
    queueMicrotask(() => {
      connection
        .ping()
        .catch((error: unknown) => logger.warn({ err: describe(error) }, 'redis resubscribe check failed'))
        .then(() => {
          logger.warn({}, 'redis pub/sub connection restored: back-filling local subscriptions');
          events.resync();
        });
    });
  });

  return {
    // Waits (retrying) until the connection is ready: `connect()` alone rejects on the first failure.
    start: () => connectRedis(connection, { timeoutMs: 0 }),
    async subscribe(channel) {
      let id: number;
      let failure: unknown;
      try {
        id = await pubsub.subscribe(channel, onMessage);
        failure = coalesced.takeFailure(channel);
      } catch (error) {
        failure = error;
        id = -1;
      }
      if (failure !== undefined) {
        // RedisPubSub counted the channel as subscribed: take it back (its UNSUBSCRIBE is harmless).
        if (id >= 0) pubsub.unsubscribe(id);
        throw new BusUnavailableError(`Cannot subscribe: Redis did not answer: ${describe(failure)}`, { cause: failure });
      }
      subscriptionIds.set(channel, id);
    },
    async unsubscribe(channel) {
      const id = subscriptionIds.get(channel);
      if (id === undefined) return;
      subscriptionIds.delete(channel);
      pubsub.unsubscribe(id);
    },
    ready: () => connection.status === 'ready',
    async close() {
      subscriptionIds.clear();
      await connection.quit().catch(() => {});
      connection.disconnect();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
