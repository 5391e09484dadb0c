import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import type { Routing } from '../config.ts';
import { asMessage, type Message } from '../domain/message.ts';
import type { Logger } from '../log.ts';
import { BusUnavailableError, type Bus, type Deliver } from './bus.ts';
import { channels } from './channels.ts';

export interface RedisBusOptions {
  readonly url: string;
  readonly routing: Routing;
  readonly logger: Logger;
  /** How long a publish or subscribe may wait for Redis before it fails. Default 2000 ms. */
  readonly commandTimeoutMs?: number;
}

/**
 * The clustered bus. `user` routing: a node subscribes to a recipient's channel only while it holds
 * one of their subscriptions, so Redis sends each message only to the nodes that need it.
 * `broadcast` routing: every node subscribes to one channel and receives every message.
 *
 * graphql-redis-subscriptions' RedisPubSub manages the subscriber connection's channels. We do not
 * use its `asyncIterator`: that creates one unbounded queue per subscription and, on a shared channel,
 * makes every subscriber filter every message; the hub's user map delivers in O(recipient's sessions).
 */
export function createRedisBus(options: RedisBusOptions): Bus {
  const { url, routing, logger } = options;
  const commandTimeout = options.commandTimeoutMs ?? 2000;
  // No offline queue: a command issued while Redis is unreachable fails at once instead of being sent
  // minutes later, so a send the caller was told failed never arrives after all.
  const connection = { enableOfflineQueue: false, commandTimeout, maxRetriesPerRequest: 1, lazyConnect: true };
  const publisher = new Redis(url, { ...connection, connectionName: 'switchboard-pub' });
  const subscriber = new Redis(url, { ...connection, connectionName: 'switchboard-sub' });
  for (const [role, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (error: Error) => logger.warn({ role, err: error.message }, 'redis connection error'));
    client.on('ready', () => logger.info({ role }, 'redis connection ready'));
  }
  const pubsub = new RedisPubSub({ publisher, subscriber });
  const subscriptionIds = new Map<string, number>();
  let deliver: Deliver | undefined;

  const onPayload = (payload: unknown) => {
    const message = asMessage(payload);
    if (message === undefined) {
      logger.warn({}, 'dropped a bus payload that is not a message');
      return;
    }
    deliver?.(message);
  };

  const subscribe = async (channel: string) => {
    try {
      subscriptionIds.set(channel, await pubsub.subscribe(channel, onPayload));
    } catch (error) {
      throw new BusUnavailableError(`Cannot subscribe: Redis did not accept it: ${describe(error)}`, { cause: error });
    }
  };

  return {
    async start(onMessage) {
      deliver = onMessage;
      await Promise.all([publisher.connect(), subscriber.connect()]);
      if (routing === 'broadcast') await subscribe(channels.broadcast);
    },
    async publish(message: Message) {
      const channel = routing === 'user' ? channels.user(message.toUserId) : channels.broadcast;
      try {
        await pubsub.publish(channel, message);
      } catch (error) {
        throw new BusUnavailableError(`Cannot publish: Redis did not accept it: ${describe(error)}`, { cause: error });
      }
    },
    async attach(userId) {
      if (routing === 'user') await subscribe(channels.user(userId));
    },
    async detach(userId) {
      if (routing !== 'user') return;
      const channel = channels.user(userId);
      const id = subscriptionIds.get(channel);
      if (id === undefined) return;
      subscriptionIds.delete(channel);
      pubsub.unsubscribe(id);
    },
    async close() {
      deliver = undefined;
      subscriptionIds.clear();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
