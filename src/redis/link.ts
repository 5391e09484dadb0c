import { Cluster, type Redis } from 'ioredis';
import type { Metrics } from '../observability/metrics.ts';
import { RECONNECT_MAX_MS } from '../util/backoff.ts';
import { createFaultLog } from '../util/fault-log.ts';
import type { Logger } from '../util/logger.ts';
import type { ChannelListener, ChannelSubscriber, GapEvents } from './channel-subscriber.ts';
import { createClusterSubscriber } from './cluster-subscriber.ts';
import { connectRedis } from './connect.ts';
import { createRedisConnection, serverOptions, type RedisConnection } from './connection.ts';
import { holdWrites } from './held-writes.ts';
import { adviceFor, classifyRedisError, describeError, targetVariable } from './faults.ts';
import { requireScriptPermissions, requireSubscribePermission } from './permissions.ts';
import { watchSentinelPrimary } from './sentinel-watch.ts';
import { createServerSubscriber } from './server-subscriber.ts';
import type { RedisTarget } from './target.ts';
import { refuseClusterNode, refuseReplica } from './topology-checks.ts';

/**
 * Pub/sub flavours: `classic` is SUBSCRIBE/PUBLISH; `sharded` is SSUBSCRIBE/SPUBLISH on a Cluster
 * (a message touches only its channel's shard) and the same server subscriber as `classic` elsewhere.
 */
type PubSubMode = 'classic' | 'sharded';

/** A subscriber as the link's users see it: the link starts and closes it. */
type SharedSubscriber = Pick<ChannelSubscriber, 'subscribe' | 'unsubscribe' | 'ready'>;

export interface RedisLinkOptions {
  readonly target: RedisTarget;
  /** A command or subscribe Redis has not answered in this time fails. */
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
  readonly metrics?: Pick<Metrics, 'redisErrors' | 'redisReconnects'>;
  /** Also check at start that the ACL user may SPUBLISH (the bus's `user` routing on a Cluster). */
  readonly sharded?: boolean;
}

/**
 * The node's one way to Redis, shared by the bus, presence and the send rate limit: the command
 * connection, the pub/sub subscribers, and (with Sentinel) the watch that keeps all of them on the
 * primary a majority of sentinels names. Every Redis connection of the process is made here.
 */
export interface RedisLink {
  readonly target: RedisTarget;
  /** The command connection (scripts are defined on it by their users, each under its own names). */
  readonly commands: RedisConnection;
  /**
   * Call right before a command of a hot path (the bus' send script): the command connection's
   * writes of this turn of the event loop leave together, in one write (held-writes.ts).
   */
  holdWrites(): void;
  /**
   * The subscriber of `mode`, made on first use; call before {@link start}. `gaps` hears when its
   * live delivery has a gap (every user of one subscriber hears the gaps of all its channels).
   */
  subscriber(mode: PubSubMode, gaps: GapEvents): SharedSubscriber;
  /**
   * Connects (once; later calls share the first), however long Redis takes to come up: logs one
   * `waiting for Redis` line and calls `onWaiting` when the first attempt fails. Then refuses a
   * Cluster node or a replica given as REDIS_URL, checks the ACL user's permissions, and starts the
   * subscribers and the Sentinel watch.
   * @throws {RedisStartError} when Redis refuses the node in a way retrying does not fix.
   */
  start(options?: { readonly onWaiting?: (error: unknown) => void }): Promise<void>;
  /** True while the command connection and every subscriber are connected and in effect. */
  ready(): boolean;
  close(): Promise<void>;
}

/** How often, with Sentinel, the link checks its connections are on the primary a majority of sentinels names. */
const SENTINEL_CHECK_MS = 1000;

/** Builds the link; nothing connects until {@link RedisLink.start}. */
export function createRedisLink(options: RedisLinkOptions): RedisLink {
  const { target, logger, metrics } = options;
  const timeouts = { commandTimeoutMs: options.commandTimeoutMs };
  const variable = targetVariable(target);
  const faults = createFaultLog(logger);
  const commands = createRedisConnection(target, { ...timeouts, name: 'switchboard-commands' });
  /** Until the start completes, failed attempts are the start's to report (once), not one line each. */
  let started = false;
  let starting: Promise<void> | undefined;
  let sentinelWatch: { stop(): void } | undefined;

  const watch = (connection: RedisConnection, role: 'publisher' | 'subscriber') => {
    let readyBefore = false;
    connection.on('error', (error: Error) => {
      metrics?.redisErrors.inc({ role });
      if (!started) return;
      const fault = classifyRedisError(error);
      faults.report(`connection:${role}:${fault}`, { role, fault, err: describeError(error), advice: adviceFor(fault, variable) }, 'redis connection error');
    });
    connection.on('close', () => logger.debug({ role }, 'redis connection closed'));
    connection.on('ready', () => {
      if (readyBefore) metrics?.redisReconnects.inc({ role });
      readyBefore = true;
    });
  };
  watch(commands, 'publisher');

  /** One subscriber per mode (on one server, both modes share one), each with the gap listeners of its users. */
  const subscribers = new Map<PubSubMode, { readonly subscriber: ChannelSubscriber; readonly gaps: Set<GapEvents> }>();
  /** With one server (standalone or Sentinel): the subscriber connection, which the Sentinel watch also keeps. */
  let single: Redis | undefined;

  const make = (mode: PubSubMode) => {
    const gaps = new Set<GapEvents>();
    const fanOut: GapEvents = {
      suspend: () => gaps.forEach((listener) => listener.suspend()),
      resync: () => gaps.forEach((listener) => listener.resync()),
    };
    if (commands instanceof Cluster) {
      const subscriber = createClusterSubscriber({
        cluster: commands,
        mode,
        server: serverOptions({ ...timeouts, name: `switchboard-sub-${mode}` }),
        gaps: fanOut,
        logger,
        watch: (connection) => watch(connection, 'subscriber'),
      });
      return { subscriber, gaps };
    }
    const connection = createRedisConnection(target, { ...timeouts, name: 'switchboard-sub' });
    if (connection instanceof Cluster) throw new Error('A cluster has no single subscriber connection');
    watch(connection, 'subscriber');
    single = connection;
    return { subscriber: createServerSubscriber({ connection, publisher: commands, gaps: fanOut, logger }), gaps };
  };

  const connect = async (onWaiting: ((error: unknown) => void) | undefined) => {
    let waitingSince: number | undefined;
    await connectRedis(commands, {
      timeoutMs: options.commandTimeoutMs,
      onWaiting: (error) => {
        waitingSince = Date.now();
        const fault = classifyRedisError(error);
        logger.warn(
          { redis: variable, fault, err: describeError(error), retryMaxMs: RECONNECT_MAX_MS, advice: adviceFor(fault, variable) },
          `waiting for Redis (${variable}): ${describeError(error)}: retrying with backoff, at most ${RECONNECT_MAX_MS} ms apart; /ready answers 503 until connected`,
        );
        onWaiting?.(error);
      },
    });
    if (target.kind === 'standalone') {
      await refuseClusterNode(commands, target.url);
      await refuseReplica(commands, target.url);
    }
    await requireScriptPermissions(commands, options.sharded === true && commands instanceof Cluster);
    for (const { subscriber } of new Set(subscribers.values())) {
      await subscriber.start();
      await requireSubscribePermission(subscriber);
    }
    if (target.kind === 'sentinel' && !(commands instanceof Cluster)) {
      sentinelWatch = watchSentinelPrimary({
        sentinels: target.sentinels,
        name: target.name,
        connections: single === undefined ? [commands] : [commands, single],
        intervalMs: SENTINEL_CHECK_MS,
        commandTimeoutMs: options.commandTimeoutMs,
        logger,
      });
    }
    started = true;
    if (waitingSince !== undefined) logger.info({ redis: variable, waitedMs: Date.now() - waitingSince }, 'connected to Redis');
  };

  return {
    target,
    commands,
    holdWrites: holdWrites(commands),
    subscriber(mode, gaps) {
      if (starting !== undefined) throw new Error('Cannot add a subscriber: the Redis link has started');
      const existing = subscribers.get(mode) ?? (commands instanceof Cluster ? undefined : [...subscribers.values()][0]);
      const entry = existing ?? make(mode);
      subscribers.set(mode, entry);
      entry.gaps.add(gaps);
      const { subscriber } = entry;
      return {
        subscribe: (channel: string, listener: ChannelListener) => subscriber.subscribe(channel, listener),
        unsubscribe: (channel: string) => subscriber.unsubscribe(channel),
        ready: () => subscriber.ready(),
      };
    },
    start(startOptions) {
      starting ??= connect(startOptions?.onWaiting);
      return starting;
    },
    ready: () => commands.status === 'ready' && [...subscribers.values()].every(({ subscriber }) => subscriber.ready()),
    async close() {
      sentinelWatch?.stop();
      const closing = [...new Set(subscribers.values())].map(({ subscriber }) => subscriber.close());
      await Promise.allSettled([...closing, commands.quit()]);
      commands.disconnect();
    },
  };
}
