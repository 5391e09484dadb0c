import { Redis, ReplyError } from 'ioredis';

/**
 * Whether `host:port` answers a plain-text `PING` like a Redis without TLS (`PONG`, or an error
 * reply such as `NOAUTH`). A TLS client that reaches such a port sends its handshake, which Redis
 * reads as a half-finished command and never answers: the connection only times out. This tells
 * that case apart from a Redis that is down or slow, so the node can say "rediss:// to a port without
 * TLS" instead of waiting forever. Resolves false on any failure or after `timeoutMs`.
 */
export async function speaksPlainRedis(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const probe = new Redis({
    host,
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  probe.on('error', () => {}); // the outcome is the answer, not an event
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (error) {
    return error instanceof ReplyError;
  } finally {
    probe.disconnect();
  }
}
