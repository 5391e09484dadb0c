import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config.ts';
import { reconnectDelay } from './redis-backoff.ts';
import { classifyRedisError, FATAL_AT_START, RedisStartError } from './redis-faults.ts';
import { speaksPlainRedis } from './tls-probe.ts';

/** A command connection to the configured Redis: one server (directly or through Sentinel) or a Cluster. */
export type RedisConnection = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Shown by CLIENT LIST on the server (`CLIENT SETNAME`). */
  readonly name: string;
  /** A command Redis has not answered in this time fails. */
  readonly commandTimeoutMs: number;
}

/**
 * Per-server options of every switchboard connection. No offline queue and no re-sending after a
 * reconnect: a command issued while Redis is unreachable fails at once, and one that timed out is
 * never sent later, so a send the caller was told failed does not arrive minutes afterwards. (One
 * that reached Redis before the link broke may have been applied: clients retry with their
 * clientMessageId.) Connections start on `connect()`.
 */
export function serverOptions(options: RedisConnectionOptions): RedisOptions {
  return {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    connectionName: options.name,
    // Capped, jittered backoff (redis-backoff.ts), at start and after a loss alike.
    retryStrategy: reconnectDelay,
  };
}

/**
 * How often a Cluster connection re-reads the slot map (CLUSTER SLOTS) on its own. It also re-reads
 * on every MOVED reply, but after a primary dies nothing answers MOVED until the map is re-read:
 * this bounds how long sends to the failed shard keep failing after its replica took over.
 */
export const SLOTS_REFRESH_MS = 1000;

/**
 * Opens (lazily: call `connect()`) a command connection to `target`, failing fast as
 * {@link serverOptions} describes. Share it with anything else that needs Redis (presence, …):
 *
 * - `standalone`: ioredis on REDIS_URL.
 * - `sentinel`: asks the sentinels for the primary and checks its role on every connect. It also
 *   listens for the sentinels' `+switch-master` (ioredis' `failoverDetector`) and reconnects on a
 *   `READONLY` reply, so after a failover it moves to the new primary on its own instead of staying
 *   on the demoted one.
 * - `cluster`: an ioredis Cluster over the seed nodes; commands go to the primary of their key's slot.
 *   Connection-closed errors are not retried on another node (a send that may have run must not run
 *   twice); MOVED, ASK, TRYAGAIN and CLUSTERDOWN are (Redis did not run the command).
 */
export function createRedisConnection(target: RedisTarget, options: RedisConnectionOptions): RedisConnection {
  const server = serverOptions(options);
  switch (target.kind) {
    case 'standalone':
      return new Redis(target.url, server);
    case 'sentinel':
      return new Redis({
        ...server,
        sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
        name: target.name,
        role: 'master',
        failoverDetector: true,
        reconnectOnError: (error) => error.message.startsWith('READONLY'),
        // ioredis' default retries the sentinels every 10 ms more per attempt, without a cap that matters.
        sentinelRetryStrategy: reconnectDelay,
      });
    case 'cluster': {
      const cluster = new Cluster(
        target.nodes.map(({ host, port }) => ({ host, port })),
        clusterOptions(server),
      );
      // The cluster opens its per-node connections lazily, on their first command, which with the
      // offline queue off would fail: open each as soon as the cluster learns of its node.
      cluster.on('+node', (node: Redis) => {
        if (node.status === 'wait') node.connect().catch(() => {});
      });
      return cluster;
    }
  }
}

/** How long a connection may stay unanswered at start before the node reports that it is waiting. */
export const WAITING_NOTICE_MS = 1000;

export interface ConnectOptions {
  /** For a cluster: how long to wait for the connection to every primary once the slot map is read. */
  readonly timeoutMs: number;
  /**
   * Called once, with the error, when the first attempt fails (or after {@link WAITING_NOTICE_MS}
   * without an answer): the connection now retries with backoff until Redis answers.
   */
  readonly onWaiting?: (error: unknown) => void;
}

/**
 * Connects `connection` (made by {@link createRedisConnection}) and resolves once it is ready,
 * however long Redis takes to come up: ioredis retries with {@link reconnectDelay}'s backoff in every
 * mode, and this only listens. For a cluster, also waits up to `timeoutMs` for the connection to
 * every primary, so the first commands do not fail on a connection still opening (a primary that is
 * down does not fail the start: its commands fail until its replica takes over).
 * @throws {RedisStartError} as soon as an attempt fails in a way retrying does not fix
 *   ({@link FATAL_AT_START}: wrong credentials, TLS, a missing ACL permission), or when the connection
 *   is closed while waiting (the node is stopping).
 */
export async function connectRedis(connection: RedisConnection, options: ConnectOptions): Promise<void> {
  if (connection.status !== 'ready') await untilReady(connection, options.onWaiting);
  if (!(connection instanceof Cluster)) return;
  const opening = connection.nodes('master').filter((node) => node.status !== 'ready');
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(opening.map((node) => new Promise((resolve) => node.once('ready', resolve)))),
    new Promise((resolve) => (timer = setTimeout(resolve, options.timeoutMs))),
  ]);
  clearTimeout(timer);
}

function untilReady(connection: RedisConnection, onWaiting: ((error: unknown) => void) | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let noticed = false;
    const notice = (error: unknown) => {
      if (noticed) return;
      noticed = true;
      onWaiting?.(error);
    };
    let settled = false;
    /** rediss:// to a port without TLS only ever times out: ask the port in plain text whether it is a Redis. */
    const checkPlain = async () => {
      if (connection instanceof Cluster || connection.options.tls === undefined) return;
      const { host = '127.0.0.1', port = 6379 } = connection.options;
      if (!(await speaksPlainRedis(host, port, WAITING_NOTICE_MS)) || settled) return;
      done();
      reject(new RedisStartError('tls', `the URL is rediss:// (TLS) but ${host}:${port} answers plain Redis, without TLS`));
    };
    const timer = setTimeout(() => {
      notice(new Error(`no answer within ${WAITING_NOTICE_MS} ms`));
      void checkPlain();
    }, WAITING_NOTICE_MS);
    const done = () => {
      settled = true;
      clearTimeout(timer);
      connection.off('error', onError);
      connection.off('ready', onReady);
      connection.off('end', onEnd);
      connection.off('sentinelError', onSentinelError);
    };
    const onError = (error: unknown) => {
      if (error instanceof Error && /No such master with that name/u.test(error.message)) return notice(unknownPrimary());
      const fault = classifyRedisError(error);
      if (!FATAL_AT_START.has(fault)) {
        if (fault === 'timeout' || fault === 'unreachable') void checkPlain();
        return notice(error);
      }
      done();
      reject(new RedisStartError(fault, describeError(error), { cause: error }));
    };
    const onReady = () => {
      done();
      resolve();
    };
    const onEnd = () => {
      done();
      reject(new RedisStartError('unreachable', 'the connection was closed while waiting for Redis'));
    };
    // The sentinels answer, but know no primary of that name: ioredis says "All sentinels are
    // unreachable" (with Redis' "No such master" as its last error, or after a 'sentinelError' when
    // a sentinel answers null). Say what it is.
    const unknownPrimary = () =>
      new Error(`the sentinels answer, but none of them names a primary called '${connection instanceof Cluster ? '' : String(connection.options.name)}'`);
    const onSentinelError = (error: unknown) => {
      if (error instanceof Error && /got an invalid reply: null/u.test(error.message)) notice(unknownPrimary());
    };
    connection.on('sentinelError', onSentinelError);
    connection.on('error', onError);
    connection.on('ready', onReady);
    connection.on('end', onEnd);
    // A failed attempt is reported as an 'error' event above, and ioredis tries again by itself.
    if (connection.status === 'wait') connection.connect().catch(() => {});
  });
}

/** An error's message, with the node error behind a cluster's "Failed to refresh slots cache.". */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // ioredis' sentinel message says when its own next try is; ours are logged once, not per try.
  if (error.message.startsWith('All sentinels are unreachable')) return error.message.replace(/ Retrying from scratch after \d+ms\./u, '');
  const inner = (error as { lastNodeError?: unknown }).lastNodeError;
  return inner instanceof Error ? `${error.message} (${inner.message})` : error.message;
}

function clusterOptions(server: RedisOptions): ClusterOptions {
  return {
    redisOptions: server,
    enableOfflineQueue: false,
    // The ready check is a command like any other, so with the offline queue off it fails while the
    // per-node connections open, and ioredis then never settles connect(). Sends fail with
    // CLUSTERDOWN on their own if the cluster is not ok.
    enableReadyCheck: false,
    lazyConnect: true,
    scaleReads: 'master',
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    // 0 turns off ioredis' "connection closed: retry on the refreshed slot map" path.
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 50,
  };
}
