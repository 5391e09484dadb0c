import { Redis } from 'ioredis';
import type { RedisAddress } from './target.ts';
import type { Logger } from '../util/logger.ts';

export interface SentinelWatchOptions {
  readonly sentinels: readonly RedisAddress[];
  /** The monitored primary's name. */
  readonly name: string;
  /** Connections that must be on the primary the sentinels name (reconnected when they are not). */
  readonly connections: readonly Redis[];
  /** How often to ask every sentinel. */
  readonly intervalMs: number;
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
}

/**
 * Keeps Sentinel-managed connections on the primary a majority of sentinels names.
 *
 * ioredis moves a connection after a failover when its sentinel subscription hears
 * `+switch-master`, but that can miss: the subscription may be down (ioredis retries it once a
 * minute), and the reconnect may ask a sentinel that has not heard of the failover yet and land on
 * the old primary, which still answers ROLE master until the sentinels demote it — or forever, if it
 * is cut off from them. A subscriber left there receives nothing while its connection looks
 * healthy. So every `intervalMs` this asks all sentinels, and a connection that is on another
 * server than the one a majority has named in two checks in a row is reconnected (ioredis then asks
 * the sentinels again, and the bus back-fills what the subscriber missed).
 */
export function watchSentinelPrimary(options: SentinelWatchOptions): { stop(): void } {
  const { name, logger } = options;
  const clients = options.sentinels.map(
    ({ host, port }) =>
      new Redis({
        host,
        port,
        connectionName: 'switchboard-sentinel-watch',
        commandTimeout: options.commandTimeoutMs,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      }),
  );
  for (const client of clients) client.on('error', () => {}); // an unreachable sentinel just has no vote
  const majority = Math.floor(clients.length / 2) + 1;
  let previous: string | undefined;
  const strikes = new Map<Redis, number>();

  const ask = async (client: Redis): Promise<string | undefined> => {
    try {
      const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
      return reply === null ? undefined : `${reply[0]}:${reply[1]}`;
    } catch {
      return undefined;
    }
  };

  const check = async () => {
    const votes = new Map<string, number>();
    for (const answer of await Promise.all(clients.map(ask))) {
      if (answer !== undefined) votes.set(answer, (votes.get(answer) ?? 0) + 1);
    }
    const named = [...votes].find(([, count]) => count >= majority)?.[0];
    const settled = named !== undefined && named === previous;
    previous = named;
    if (!settled) return;
    for (const connection of options.connections) {
      if (connection.status !== 'ready' || isOn(connection, named)) {
        strikes.delete(connection);
        continue;
      }
      const count = (strikes.get(connection) ?? 0) + 1;
      strikes.set(connection, count);
      if (count < 2) continue;
      strikes.delete(connection);
      logger.warn({ primary: named, connection: connection.options.connectionName }, 'redis connection is not on the primary the sentinels name: reconnecting');
      connection.disconnect(true);
    }
  };

  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    check().finally(() => (running = false));
  }, options.intervalMs);

  return {
    stop() {
      clearInterval(timer);
      for (const client of clients) client.disconnect();
    },
  };
}

/** Whether `connection`'s socket goes to `address` (`ip:port`; with a host name, the port decides). */
function isOn(connection: Redis, address: string): boolean {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  const socket = connection.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  if (socket?.remotePort === undefined) return true; // not connected: nothing to judge
  if (socket.remotePort !== port) return false;
  const literal = /^[\d.]+$/u.test(host) || host.includes(':');
  return !literal || socket.remoteAddress === host || socket.remoteAddress === `::ffff:${host}`;
}
