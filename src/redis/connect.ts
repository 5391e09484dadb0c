import { Cluster } from 'ioredis';
import type { RedisConnection } from './connection.ts';
import { classifyRedisError, describeError, FATAL_AT_START, RedisStartError } from './faults.ts';
import { speaksPlainRedis } from './tls-probe.ts';

/** How long a connection may stay unanswered at start before the node reports that it is waiting. */
const WAITING_NOTICE_MS = 1000;

/** How {@link connectRedis} waits. */
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
 * Connects `connection` (made by `createRedisConnection`) and resolves once it is ready,
 * however long Redis takes to come up: ioredis retries with `reconnectDelay`'s backoff (redis-backoff.ts) in every
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
      // A cluster follows MOVED by itself: one that surfaces is a moving slot, not a wrong address.
      if (!FATAL_AT_START.has(fault) || (fault === 'clusternode' && connection instanceof Cluster)) {
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
