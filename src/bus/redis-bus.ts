import type { Redis } from 'ioredis';
import { asMessage, traceFieldsOf } from '../domain/message.ts';
import type { Metrics } from '../observability/metrics.ts';
import { hashSlot } from '../redis/hash-slot.ts';
import { channels, keys } from '../redis/keys.ts';
import type { RedisLink } from '../redis/link.ts';
import { isCluster, type RedisConnection } from '../redis/connection.ts';
import { adviceFor, classifyRedisError, describeError, FATAL_AT_START, targetVariable } from '../redis/faults.ts';
import { ReplicaAcks } from '../redis/replica-acks.ts';
import { persist } from '../util/backoff.ts';
import { withDeadline } from '../util/deadline.ts';
import { createFaultLog } from '../util/fault-log.ts';
import type { Logger } from '../util/logger.ts';
import { BusUnavailableError, SendRateRefusedError, type Bus, type BusEvents, type HistoryLimits, type MessageDraft } from './bus.ts';
import { createHistoryReads, pageOf, type ReadReply } from './history-reads.ts';
import { PUBLISH_SCRIPT, READ_SCRIPT, SEND_SCRIPT, TAIL_SCRIPT } from './redis-scripts.ts';
import type { Routing } from './routing.ts';

export interface RedisBusOptions {
  /** The node's Redis link (standalone, Sentinel or Cluster); the bus uses it, its owner closes it. */
  readonly link: RedisLink;
  readonly routing: Routing;
  readonly limits: HistoryLimits;
  readonly logger: Logger;
  /** How long a send, read or subscribe may wait for Redis before it fails. */
  readonly commandTimeoutMs: number;
  /** Replicas that must confirm a send (WAIT) before it is acknowledged. Default 0: no wait. */
  readonly waitReplicas?: number;
  /**
   * The sendMessage rate limit, taken inside the send script (one round trip for both). Only on one
   * server (standalone, Sentinel): on a Redis Cluster the sender's bucket and the recipient's stream
   * are in two slots, and the limiter checks alone before the send (`send-rate/redis-send-rate.ts`).
   */
  readonly sendRate?: { readonly perSecond: number; readonly burst: number };
  readonly metrics?: Metrics;
}

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
  const { link, routing, limits, logger, metrics } = options;
  const publisher = link.commands as Scripted;
  publisher.defineCommand('sbSend', { numberOfKeys: 5, lua: SEND_SCRIPT });
  publisher.defineCommand('sbPublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
  publisher.defineCommand('sbRead', { numberOfKeys: 2, lua: READ_SCRIPT });
  publisher.defineCommand('sbTail', { numberOfKeys: 1, lua: TAIL_SCRIPT });
  const sharded = isCluster(publisher) && routing === 'user';
  // A command's own timeout (commandTimeoutMs from when it is issued) is the send's deadline on one
  // server, which never retries a command; a Cluster may retry one after a redirect, past it.
  const sentInTime: <T>(reply: Promise<T>, deadline: number) => Promise<T> = isCluster(publisher) ? withDeadline : (reply) => reply;
  if (options.sendRate !== undefined && isCluster(publisher)) {
    throw new Error('Cannot take the send rate in the send script on a Redis Cluster: the bucket and the stream are in two slots');
  }
  const rate = options.sendRate === undefined ? ['0', '0'] : [String(options.sendRate.perSecond), String(options.sendRate.burst)];
  const acks = (options.waitReplicas ?? 0) > 0 ? new ReplicaAcks(options.waitReplicas ?? 0) : undefined;
  const readHistory = createHistoryReads(publisher, HISTORY_READ_CONCURRENCY);
  let events: BusEvents | undefined;
  const variable = targetVariable(link.target);
  const faults = createFaultLog(logger);
  let closed = false;

  /** One function for every channel of the bus (the subscriber keeps it per channel, not a closure per user). */
  const onPayload = (payload: unknown) => {
    const message = asMessage(payload);
    if (message === undefined) {
      metrics?.dropped.inc({ reason: 'invalid_payload' });
      logger.warn({}, 'dropped a bus payload that is not a message');
      return;
    }
    events?.deliver(message);
  };
  const subscriber = link.subscriber(sharded ? 'sharded' : 'classic', {
    resync: () => events?.resync(),
    suspend: () => events?.suspend?.(),
  });

  /** A send Redis did not take: counted by class, and logged once per interval per class. */
  const sendFailed = (error: unknown, traceparent: string | undefined) => {
    const fault = classifyRedisError(error);
    metrics?.sendFailures.inc({ class: fault });
    faults.report(
      `send:${fault}`,
      { fault, err: describeError(error), advice: adviceFor(fault, variable), ...traceFieldsOf(traceparent) },
      'sendMessage failed in Redis: answered UNAVAILABLE',
    );
  };

  const unavailable = (what: string, error: unknown) => {
    // After a failover nothing tells the cluster connection until it re-reads the slot map.
    if (isCluster(publisher)) publisher.refreshSlotsCache();
    return new BusUnavailableError(`Cannot ${what}: Redis did not answer: ${describeError(error)}`, { cause: error });
  };
  /** The connection a key's commands went to: WAIT must run on the connection that wrote. */
  const connectionFor = (key: string): Redis => {
    if (!(isCluster(publisher))) return publisher;
    const owner = publisher.slots[hashSlot(key)]?.[0];
    const node = publisher.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === owner);
    if (node === undefined) throw new Error(`no connection to the primary of ${key}`);
    return node;
  };

  return {
    async start(handlers) {
      events = handlers;
      await link.start();
      if (routing === 'broadcast') {
        // The connection is up, but a cluster's shard connections may still be opening: try again.
        await persist(() => subscriber.subscribe(channels.broadcast, onPayload), {
          isFatal: (error) => FATAL_AT_START.has(classifyRedisError(error)),
          stopped: () => closed,
        });
      }
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
        link.holdWrites();
        reply = await sentInTime(
          publisher.sbSend(
            stream,
            keys.trimmed(draft.toUserId),
            idempotency,
            published,
            options.sendRate === undefined ? stream : keys.sendRate(draft.fromUserId),
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
            ...rate,
            draft.traceparent ?? '',
          ),
          deadline,
        );
        if (reply === 'late') throw new Error('Redis ran it after the send timeout');
      } catch (error) {
        sendFailed(error, draft.traceparent);
        throw unavailable('send message', error);
      }
      if (reply.startsWith('rate:')) throw new SendRateRefusedError(Number(reply.slice('rate:'.length)));
      const message = asMessage(JSON.parse(reply));
      if (message === undefined) throw new Error('The send script returned something that is not a message');
      if (acks !== undefined) {
        try {
          await acks.confirm(connectionFor(stream), deadline - Date.now());
          await withDeadline(publisher.sbPublish(stream, published, message.id, channel, publish, draft.toUserId), deadline);
        } catch (error) {
          // Stored but not confirmed (or not yet out): a retry with the clientMessageId finishes it.
          sendFailed(error, draft.traceparent);
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
    async historyLength(userId) {
      try {
        return await publisher.xlen(keys.history(userId));
      } catch (error) {
        throw unavailable('read the history length', error);
      }
    },
    async attach(userId) {
      if (routing !== 'user') return;
      try {
        await subscriber.subscribe(channels.user(userId), onPayload);
      } catch (error) {
        throw new BusUnavailableError(describeError(error), { cause: error });
      }
    },
    async detach(userId) {
      if (routing === 'user') await subscriber.unsubscribe(channels.user(userId));
    },
    ready: () => link.ready(),
    async close() {
      closed = true;
      events = undefined;
      if (routing === 'broadcast') await subscriber.unsubscribe(channels.broadcast);
    },
  };
}
