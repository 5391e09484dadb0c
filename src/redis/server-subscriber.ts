import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';
import type { Logger } from '../util/logger.ts';
import type { ChannelSubscriber, GapEvents } from './channel-subscriber.ts';
import { coalesceSubscriptions } from './coalesced-subscriptions.ts';
import { connectRedis } from './connect.ts';
import { describeError, RedisUnavailableError } from './faults.ts';

export interface ServerSubscriberOptions {
  /** The subscriber connection (standalone or Sentinel-managed), not yet connected. */
  readonly connection: Redis;
  /** The command connection; RedisPubSub requires one, it never publishes on it here. */
  readonly publisher: Redis;
  readonly gaps: GapEvents;
  readonly logger: Logger;
}

/**
 * Classic pub/sub (SUBSCRIBE) on one Redis server — standalone, or whichever primary the sentinels
 * name. graphql-redis-subscriptions' RedisPubSub manages the connection's channels; ioredis
 * re-subscribes them after a reconnect, and with Sentinel the reconnect goes to the current primary
 * (see `createRedisConnection`), so after a failover the subscription follows the primary.
 */
export function createServerSubscriber(options: ServerSubscriberOptions): ChannelSubscriber {
  const { connection, gaps, logger } = options;
  // Channels asked for while a SUBSCRIBE is in flight go out together in the next one (a storm's
  // thousands of attaches cost a few round trips, not one each).
  const coalesced = coalesceSubscriptions(connection);
  const pubsub = new RedisPubSub({ publisher: options.publisher, subscriber: coalesced.subscriber });
  const subscriptionIds = new Map<string, number>();
  let connectedOnce = false;

  connection.on('close', () => {
    if (connectedOnce) gaps.suspend();
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
        .catch((error: unknown) => logger.warn({ err: describeError(error) }, 'redis resubscribe check failed'))
        .then(() => {
          logger.warn({}, 'redis pub/sub connection restored: back-filling local subscriptions');
          gaps.resync();
        });
    });
  });

  return {
    // Waits (retrying) until the connection is ready: `connect()` alone rejects on the first failure.
    start: () => connectRedis(connection, { timeoutMs: 0 }),
    async subscribe(channel, listener) {
      let id: number;
      let failure: unknown;
      try {
        id = await pubsub.subscribe(channel, listener);
        failure = coalesced.takeFailure(channel);
      } catch (error) {
        failure = error;
        id = -1;
      }
      if (failure !== undefined) {
        // RedisPubSub counted the channel as subscribed: take it back (its UNSUBSCRIBE is harmless).
        if (id >= 0) pubsub.unsubscribe(id);
        throw new RedisUnavailableError(`Cannot subscribe: Redis did not answer: ${describeError(failure)}`, { cause: failure });
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
