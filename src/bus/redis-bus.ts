import { Cluster, type Redis } from 'ioredis';
import type { RedisTarget, Routing } from '../app/config.ts';
import { asMessage } from '../domain/message.ts';
import type { Logger } from '../util/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import {
  BusUnavailableError,
  type Bus,
  type BusEvents,
  type HistoryLimits,
  type MessageDraft,
} from './bus.ts';
import type { ChannelSubscriber, SubscriberEvents } from '../redis/channel-subscriber.ts';
import { channels, keys } from '../redis/keys.ts';
import { createClusterSubscriber } from '../redis/cluster-subscriber.ts';
import { hashSlot } from '../redis/hash-slot.ts';
import { withDeadline } from '../util/deadline.ts';
import { createFaultLog } from '../util/fault-log.ts';
import { createHistoryReads, pageOf, type ReadReply } from './history-reads.ts';
import { persist, RECONNECT_MAX_MS } from '../util/backoff.ts';
import { connectRedis, createRedisConnection, serverOptions, type RedisConnection } from '../redis/connection.ts';
import { adviceFor, classifyRedisError, describeError, FATAL_AT_START, targetVariable } from '../redis/faults.ts';
import { refuseClusterNode, refuseReplica } from '../redis/topology-checks.ts';
import { PUBLISH_SCRIPT, READ_SCRIPT, SEND_SCRIPT, TAIL_SCRIPT } from './redis-scripts.ts';
import { ReplicaAcks } from '../redis/replica-acks.ts';
import { watchSentinelPrimary } from '../redis/sentinel-watch.ts';
import { createServerSubscriber } from '../redis/server-subscriber.ts';

export interface RedisBusOptions {
  /** Standalone, Sentinel or Cluster (`config.redis`). */
  readonly target: RedisTarget;
  readonly routing: Routing;
  readonly limits: HistoryLimits;
  readonly logger: Logger;
  /** How long a send, read or subscribe may wait for Redis before it fails. */
  readonly commandTimeoutMs: number;
  /** Replicas that must confirm a send (WAIT) before it is acknowledged. Default 0: no wait. */
  readonly waitReplicas?: number;
  readonly metrics?: Metrics;
}

/** How often the bus checks that its Sentinel-managed connections are on the primary a majority of sentinels names. */
const SENTINEL_CHECK_MS = 1000;

/**
 * History reads one node keeps outstanding at Redis (`history-reads.ts`): a reconnect storm's catch-up
 * reads wait in the node rather than queue inside Redis ahead of live sends, and leave in pipelines
 * of up to this many.
 */
const HISTORY_READ_CONCURRENCY = 64;

type Scripted = RedisConnection & {
  sbSend(...args: string[]): Promise<string>;
  sbPublish(...args: string[]): Promise<number>;
  sbRead(...args: string[]): Promise<ReadReply>;
  sbTail(key: string): Promise<string>;
};

/**
 * The clustered bus. Each recipient's history is a Redis stream; one Lua script appends to it and
 * publishes (atomic, so live delivery implies "in history" and history order is delivery order).
 * `user` routing publishes on the recipient's channel, to which a node subscribes only while it holds
 * one of their subscriptions; `broadcast` routing publishes on one channel every node subscribes to.
 *
 * On a Redis Cluster, `user` routing uses sharded pub/sub: the script SPUBLISHes on the recipient's
 * channel, which shares the hash tag `{u:<id>}` (one slot) with their stream and keys, so a message
 * touches only the shard of its recipient and reaches only the nodes subscribed there (SSUBSCRIBE,
 * `cluster-subscriber.ts`). `broadcast` routing PUBLISHes classically, which the cluster copies to
 * every Redis node. On one server (standalone or Sentinel) graphql-redis-subscriptions' RedisPubSub
 * manages the subscriber connection's channels (`server-subscriber.ts`). We do not use its `publish`
 * (sending must append to history in the same atomic step, so it is our script) nor its
 * `asyncIterator` (one unbounded queue per subscription, and on a shared channel every subscriber
 * filters every message; the hub's user map delivers in O(recipient's sessions) with bounded buffers).
 */
export function createRedisBus(options: RedisBusOptions): Bus {
  const { target, routing, limits, logger, metrics } = options;
  const timeouts = { commandTimeoutMs: options.commandTimeoutMs };
  const publisher = createRedisConnection(target, { ...timeouts, name: 'switchboard-pub' }) as Scripted;
  publisher.defineCommand('sbSend', { numberOfKeys: 4, lua: SEND_SCRIPT });
  publisher.defineCommand('sbPublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
  publisher.defineCommand('sbRead', { numberOfKeys: 2, lua: READ_SCRIPT });
  publisher.defineCommand('sbTail', { numberOfKeys: 1, lua: TAIL_SCRIPT });
  const sharded = publisher instanceof Cluster && routing === 'user';
  const acks = (options.waitReplicas ?? 0) > 0 ? new ReplicaAcks(options.waitReplicas ?? 0) : undefined;
  const readHistory = createHistoryReads(publisher, HISTORY_READ_CONCURRENCY);
  let events: BusEvents | undefined;
  const variable = targetVariable(target);
  const faults = createFaultLog(logger);
  /** Until the first start completes, failed attempts are the start's to report (once), not one line each. */
  let started = false;
  let closed = false;

  const watch = (client: RedisConnection, role: 'publisher' | 'subscriber') => {
    let readyBefore = false;
    client.on('error', (error: Error) => {
      metrics?.redisErrors.inc({ role });
      if (!started) return;
      const fault = classifyRedisError(error);
      faults.report(`connection:${role}:${fault}`, { role, fault, err: describeError(error), advice: adviceFor(fault, variable) }, 'redis connection error');
    });
    client.on('close', () => logger.debug({ role }, 'redis connection closed'));
    client.on('ready', () => {
      if (readyBefore) metrics?.redisReconnects.inc({ role });
      readyBefore = true;
    });
  };
  watch(publisher, 'publisher');

  const subscriberEvents: SubscriberEvents = {
    message(payload) {
      const message = asMessage(payload);
      if (message === undefined) {
        metrics?.dropped.inc({ reason: 'invalid_payload' });
        logger.warn({}, 'dropped a bus payload that is not a message');
        return;
      }
      events?.deliver(message);
    },
    resync: () => events?.resync(),
    suspend: () => events?.suspend?.(),
  };
  /** With one server (standalone or Sentinel): the subscriber connection; with a cluster, one per primary. */
  let single: Redis | undefined;
  let subscriber: ChannelSubscriber;
  if (publisher instanceof Cluster) {
    subscriber = createClusterSubscriber({
      cluster: publisher,
      mode: sharded ? 'sharded' : 'classic',
      server: serverOptions({ ...timeouts, name: 'switchboard-sub' }),
      events: subscriberEvents,
      logger,
      watch: (connection) => watch(connection, 'subscriber'),
    });
  } else {
    single = subscriberConnection(target, timeouts.commandTimeoutMs, watch);
    subscriber = createServerSubscriber({ connection: single, publisher, events: subscriberEvents, logger });
  }
  let sentinelWatch: { stop(): void } | undefined;

  /** A send Redis did not take: counted by class, and logged once per interval per class. */
  const sendFailed = (error: unknown) => {
    const fault = classifyRedisError(error);
    metrics?.sendFailures.inc({ class: fault });
    faults.report(`send:${fault}`, { fault, err: describeError(error), advice: adviceFor(fault, variable) }, 'sendMessage failed in Redis: answered UNAVAILABLE');
  };

  const unavailable = (what: string, error: unknown) => {
    // After a failover nothing tells the cluster connection until it re-reads the slot map.
    if (publisher instanceof Cluster) publisher.refreshSlotsCache();
    return new BusUnavailableError(`Cannot ${what}: Redis did not answer: ${describe(error)}`, { cause: error });
  };
  /** The connection a key's commands went to: WAIT must run on the connection that wrote. */
  const connectionFor = (key: string): Redis => {
    if (!(publisher instanceof Cluster)) return publisher;
    const owner = publisher.slots[hashSlot(key)]?.[0];
    const node = publisher.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === owner);
    if (node === undefined) throw new Error(`no connection to the primary of ${key}`);
    return node;
  };

  return {
    async start(handlers) {
      events = handlers;
      let waitingSince: number | undefined;
      const onWaiting = (error: unknown) => {
        waitingSince = Date.now();
        const fault = classifyRedisError(error);
        logger.warn(
          { redis: variable, fault, err: describeError(error), retryMaxMs: RECONNECT_MAX_MS, advice: adviceFor(fault, variable) },
          `waiting for Redis (${variable}): ${describeError(error)}: retrying with backoff, at most ${RECONNECT_MAX_MS} ms apart; /ready answers 503 until connected`,
        );
        handlers.waiting?.(error);
      };
      await connectRedis(publisher, { timeoutMs: options.commandTimeoutMs, onWaiting });
      if (target.kind === 'standalone') {
        await refuseClusterNode(publisher, target.url);
        await refuseReplica(publisher, target.url);
      }
      await subscriber.start();
      if (target.kind === 'sentinel' && !(publisher instanceof Cluster) && single !== undefined) {
        sentinelWatch = watchSentinelPrimary({
          sentinels: target.sentinels,
          name: target.name,
          connections: [publisher, single],
          intervalMs: SENTINEL_CHECK_MS,
          commandTimeoutMs: options.commandTimeoutMs,
          logger,
        });
      }
      if (routing === 'broadcast') {
        // The connection is up, but a cluster's shard connections may still be opening: try again.
        await persist(() => subscriber.subscribe(channels.broadcast), {
          isFatal: (error) => FATAL_AT_START.has(classifyRedisError(error)),
          stopped: () => closed,
        });
      }
      started = true;
      if (waitingSince !== undefined) logger.info({ redis: variable, waitedMs: Date.now() - waitingSince }, 'connected to Redis');
    },
    async send(draft: MessageDraft, clientMessageId?: string) {
      const stream = keys.history(draft.toUserId);
      const idempotency = clientMessageId === undefined ? stream : keys.sent(draft.toUserId, draft.fromUserId, clientMessageId);
      const channel = routing === 'user' ? channels.user(draft.toUserId) : channels.broadcast;
      const published = keys.published(draft.toUserId);
      const publish = sharded ? 'SPUBLISH' : 'PUBLISH';
      // The real clock, not an injected one: the script compares it with Redis' own.
      const deadline = Date.now() + options.commandTimeoutMs;
      let reply: string;
      try {
        reply = await withDeadline(
          publisher.sbSend(
            stream,
            keys.trimmed(draft.toUserId),
            idempotency,
            published,
            String(limits.maxPerUser),
            String(limits.ttlMs),
            String(limits.idempotencyTtlMs),
            channel,
            // Waiting for replicas: publish only once they have it (below), or a failover could
            // take back a message subscribers already saw.
            acks === undefined ? publish : '',
            draft.fromUserId,
            draft.toUserId,
            draft.body,
            draft.sentAt,
            clientMessageId === undefined ? '0' : '1',
            String(deadline),
          ),
          deadline,
        );
        if (reply === 'late') throw new Error('Redis ran it after the send timeout');
      } catch (error) {
        sendFailed(error);
        throw unavailable('send message', error);
      }
      const message = asMessage(JSON.parse(reply));
      if (message === undefined) throw new Error('The send script returned something that is not a message');
      if (acks !== undefined) {
        try {
          await acks.confirm(connectionFor(stream), deadline - Date.now());
          await withDeadline(publisher.sbPublish(stream, published, message.id, channel, publish, draft.toUserId), deadline);
        } catch (error) {
          // Stored but not confirmed (or not yet out): a retry with the clientMessageId finishes it.
          sendFailed(error);
          throw unavailable('send message', error);
        }
      }
      return message;
    },
    async read(userId, after, limit) {
      let reply;
      try {
        reply = await readHistory([keys.history(userId), keys.trimmed(userId), after ?? '', String(limit), String(limits.maxPerUser), String(limits.ttlMs)]);
      } catch (error) {
        throw unavailable('read history', error);
      }
      return pageOf(userId, after, reply, limit);
    },
    async tail(userId) {
      try {
        return await publisher.sbTail(keys.history(userId));
      } catch (error) {
        throw unavailable('read history', error);
      }
    },
    async attach(userId) {
      if (routing === 'user') await subscriber.subscribe(channels.user(userId));
    },
    async detach(userId) {
      if (routing === 'user') await subscriber.unsubscribe(channels.user(userId));
    },
    ready: () => publisher.status === 'ready' && subscriber.ready(),
    async close() {
      closed = true;
      events = undefined;
      sentinelWatch?.stop();
      await Promise.allSettled([subscriber.close(), publisher.quit()]);
      publisher.disconnect();
    },
  };
}

/** The subscriber connection to a single server (standalone, or the primary the sentinels name). */
function subscriberConnection(
  target: RedisTarget,
  commandTimeoutMs: number,
  watch: (client: RedisConnection, role: 'subscriber') => void,
): Redis {
  const connection = createRedisConnection(target, { commandTimeoutMs, name: 'switchboard-sub' });
  if (connection instanceof Cluster) throw new Error('A cluster has no single subscriber connection');
  watch(connection, 'subscriber');
  return connection;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
