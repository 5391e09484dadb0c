import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { reconnectDelay } from '../util/backoff.ts';
import type { RedisTarget } from './target.ts';

/** A command connection to the configured Redis: one server (directly or through Sentinel) or a Cluster. */
export type RedisConnection = Redis | Cluster;

/** Whether `connection` is a Redis Cluster connection (commands go to the primary of their key's slot). */
export function isCluster(connection: RedisConnection): connection is Cluster {
  return connection instanceof Cluster;
}

/**
 * The options of one server connection. `replyMapping` is left out: ioredis 6's constructors take
 * `{ replyMapping?: mode }`, which (with `exactOptionalPropertyTypes`) refuses `RedisOptions`' own
 * `replyMapping?: mode | undefined`; on RESP2 (`protocol: 2` below) there is nothing to map.
 */
export type ServerOptions = Omit<RedisOptions, 'replyMapping'>;

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
export function serverOptions(options: RedisConnectionOptions): ServerOptions {
  return {
    // RESP2, ioredis 5's protocol: nothing here uses RESP3's types, and with ioredis 6's default (RESP3,
    // a HELLO 3 first) a refused password reads "NOAUTH HELLO must be called with the client already
    // authenticated, …" instead of Redis' plain "NOAUTH Authentication required.".
    protocol: 2,
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
const SLOTS_REFRESH_MS = 1000;

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

function clusterOptions(server: ServerOptions): Omit<ClusterOptions, 'redisOptions'> & { readonly redisOptions: ServerOptions } {
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
