import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis, type RedisOptions } from 'ioredis';
import type { Routing } from '../config.ts';
import { asMessage, type Message } from '../domain/message.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../observability/metrics.ts';
import {
  BusUnavailableError,
  CursorExpiredError,
  type Bus,
  type BusEvents,
  type HistoryLimits,
  type MessageDraft,
} from './bus.ts';
import { channels, keys } from './channels.ts';
import { READ_SCRIPT, SEND_SCRIPT, TAIL_SCRIPT } from './redis-scripts.ts';

export interface RedisBusOptions {
  readonly url: string;
  readonly routing: Routing;
  readonly limits: HistoryLimits;
  readonly logger: Logger;
  /** How long a send, read or subscribe may wait for Redis before it fails. */
  readonly commandTimeoutMs: number;
  readonly metrics?: Metrics;
}

type Scripted = Redis & {
  sbSend(...args: string[]): Promise<string>;
  sbRead(...args: string[]): Promise<Array<string | [string, string[]]>>;
  sbTail(key: string): Promise<string>;
};

/**
 * The clustered bus. Each recipient's history is a Redis stream; one Lua script appends to it and
 * publishes (atomic, so live delivery implies "in history" and history order is delivery order).
 * `user` routing publishes on the recipient's channel, to which a node subscribes only while it holds
 * one of their subscriptions; `broadcast` routing publishes on one channel every node subscribes to.
 *
 * graphql-redis-subscriptions' RedisPubSub manages the subscriber connection's channels. We do not
 * use its `publish` (sending must append to history in the same atomic step, so it is our script) nor
 * its `asyncIterator` (one unbounded queue per subscription, and on a shared channel every subscriber
 * filters every message; the hub's user map delivers in O(recipient's sessions) with bounded buffers).
 */
export function createRedisBus(options: RedisBusOptions): Bus {
  const { url, routing, limits, logger, metrics } = options;
  const connection: RedisOptions = {
    // No offline queue and no resending after a reconnect: a command issued while Redis is unreachable
    // fails at once, and one that timed out is never sent later, so a send the caller was told failed
    // does not arrive minutes afterwards. (One that reached Redis before the link broke may have been
    // applied: the client retries with its clientMessageId.)
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
  };
  const publisher = new Redis(url, { ...connection, connectionName: 'switchboard-pub' }) as Scripted;
  const subscriber = new Redis(url, { ...connection, connectionName: 'switchboard-sub' });
  publisher.defineCommand('sbSend', { numberOfKeys: 3, lua: SEND_SCRIPT });
  publisher.defineCommand('sbRead', { numberOfKeys: 2, lua: READ_SCRIPT });
  publisher.defineCommand('sbTail', { numberOfKeys: 1, lua: TAIL_SCRIPT });
  const pubsub = new RedisPubSub({ publisher, subscriber });
  const subscriptionIds = new Map<string, number>();
  let events: BusEvents | undefined;
  let connectedOnce = false;

  for (const [role, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    let readyBefore = false;
    client.on('error', (error: Error) => {
      metrics?.redisErrors.inc({ role });
      logger.warn({ role, err: error.message }, 'redis connection error');
    });
    client.on('close', () => logger.debug({ role }, 'redis connection closed'));
    client.on('ready', () => {
      if (readyBefore) metrics?.redisReconnects.inc({ role });
      readyBefore = true;
    });
  }
  subscriber.on('ready', () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    // ioredis emits 'ready' *before* it re-sends SUBSCRIBE for our channels; a PING queued after
    // them answers once they are in effect, and only then may back-fill read history, or a message
    // published in between would be missed by both.
    queueMicrotask(() => {
      subscriber
        .ping()
        .then(() => {
          logger.warn({}, 'redis pub/sub connection restored: back-filling local subscriptions');
          events?.resync();
        })
        .catch((error: unknown) => logger.warn({ err: describe(error) }, 'redis resubscribe check failed'));
    });
  });

  const onPayload = (payload: unknown) => {
    const message = asMessage(payload);
    if (message === undefined) {
      metrics?.dropped.inc({ reason: 'invalid_payload' });
      logger.warn({}, 'dropped a bus payload that is not a message');
      return;
    }
    events?.deliver(message);
  };
  const unavailable = (what: string, error: unknown) =>
    new BusUnavailableError(`Cannot ${what}: Redis did not answer: ${describe(error)}`, { cause: error });
  const subscribe = async (channel: string) => {
    try {
      subscriptionIds.set(channel, await pubsub.subscribe(channel, onPayload));
    } catch (error) {
      throw unavailable('subscribe', error);
    }
  };

  return {
    async start(handlers) {
      events = handlers;
      await Promise.all([publisher.connect(), subscriber.connect()]);
      if (routing === 'broadcast') await subscribe(channels.broadcast);
    },
    async send(draft: MessageDraft, clientMessageId?: string) {
      const stream = keys.history(draft.toUserId);
      const idempotency = clientMessageId === undefined ? stream : keys.sent(draft.toUserId, draft.fromUserId, clientMessageId);
      const channel = routing === 'user' ? channels.user(draft.toUserId) : channels.broadcast;
      let reply: string;
      try {
        reply = await publisher.sbSend(
          stream,
          keys.trimmed(draft.toUserId),
          idempotency,
          String(limits.maxPerUser),
          String(limits.ttlMs),
          String(limits.idempotencyTtlMs),
          channel,
          'PUBLISH',
          draft.fromUserId,
          draft.toUserId,
          draft.body,
          draft.sentAt,
          clientMessageId === undefined ? '0' : '1',
          // The real clock, not an injected one: Redis compares it with its own.
          String(Date.now() + options.commandTimeoutMs),
        );
      } catch (error) {
        throw unavailable('send message', error);
      }
      if (reply === 'late') throw unavailable('send message', new Error('Redis ran it after the send timeout'));
      const message = asMessage(JSON.parse(reply));
      if (message === undefined) throw new Error('The send script returned something that is not a message');
      return message;
    },
    async read(userId, after, limit) {
      let reply;
      try {
        reply = await publisher.sbRead(
          keys.history(userId),
          keys.trimmed(userId),
          after ?? '',
          String(limit),
          String(limits.maxPerUser),
          String(limits.ttlMs),
        );
      } catch (error) {
        throw unavailable('read history', error);
      }
      if (reply[0] === 'expired') {
        throw new CursorExpiredError(`Cannot read history: messages after ${after} were dropped by retention`);
      }
      const items: Message[] = [];
      for (let i = 1; i + 1 < reply.length; i += 2) {
        items.push(fromEntry(userId, reply[i] as string, reply[i + 1] as string[]));
      }
      const hasMore = items.length > limit;
      return { items: hasMore ? items.slice(0, limit) : items, hasMore };
    },
    async tail(userId) {
      try {
        return await publisher.sbTail(keys.history(userId));
      } catch (error) {
        throw unavailable('read history', error);
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
    ready: () => publisher.status === 'ready' && subscriber.status === 'ready',
    async close() {
      events = undefined;
      subscriptionIds.clear();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

/** A stream entry (fields f=from, b=body, s=sentAt) as a message. */
function fromEntry(toUserId: string, id: string, fields: string[]): Message {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i] as string] = fields[i + 1] as string;
  const message = asMessage({ id, toUserId, fromUserId: record['f'], body: record['b'], sentAt: record['s'] });
  if (message === undefined) throw new Error(`History entry ${id} is malformed`);
  return message;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
