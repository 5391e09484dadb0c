/**
 * What kind of Redis failure an error is, so a node can say in one line what failed and what to do,
 * and count failures by a bounded label. Classified from the reply prefix Redis sends (`WRONGPASS`,
 * `NOPERM`, `READONLY`, `OOM`, …) and from the error codes Node's net and tls layers set.
 */
export type RedisFaultClass =
  /** Nothing accepts connections at the address (refused, unknown host, no route, no seed node answers). */
  | 'unreachable'
  /** A command or a connection attempt got no answer in time. */
  | 'timeout'
  /** Redis refused the credentials (wrong password or user), or needs some and got none. */
  | 'auth'
  /** The TLS handshake failed: `rediss://` to a plain port, or a certificate the node does not trust. */
  | 'tls'
  /** The ACL user may not run a command the node needs. */
  | 'noperm'
  /** The server is a replica: it refuses writes. */
  | 'readonly'
  /** Redis is at `maxmemory` and evicts nothing (`noeviction`): it refuses writes. */
  | 'oom'
  /** The script cache did not hold a script (normally recovered by ioredis, which then sends EVAL). */
  | 'noscript'
  /** Redis is loading its data set after a restart. */
  | 'loading'
  /** A cluster shard has no primary, or the slot map could not be read. */
  | 'clusterdown'
  /** The sentinels answer, but none monitors a primary of the configured name. */
  | 'noprimary'
  /** REDIS_CLUSTER_NODES names a Redis that does not run in cluster mode. */
  | 'notcluster'
  /** REDIS_URL names a node of a Redis Cluster (keys of other slots answer MOVED). */
  | 'clusternode'
  | 'other';

/** Classes that retrying the same configuration does not fix: at start the node exits instead of waiting. */
export const FATAL_AT_START: ReadonlySet<RedisFaultClass> = new Set(['auth', 'tls', 'noperm', 'readonly', 'notcluster', 'clusternode']);

const REPLY_PREFIXES: ReadonlyArray<[RegExp, RedisFaultClass]> = [
  [/^(WRONGPASS|NOAUTH|ERR invalid password|ERR AUTH )/u, 'auth'],
  [/^NOPERM|no permissions to run|can't run this command|script can't publish/u, 'noperm'],
  [/^READONLY/u, 'readonly'],
  [/^OOM /u, 'oom'],
  [/^NOSCRIPT/u, 'noscript'],
  [/^LOADING/u, 'loading'],
  [/^CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes is available/u, 'clusterdown'],
  [/none of them names a primary called/u, 'noprimary'],
  [/cluster support disabled/u, 'notcluster'],
  [/^MOVED /u, 'clusternode'],
  [/All sentinels are unreachable|Connection is closed|Stream isn't writeable|connect ECONNREFUSED/u, 'unreachable'],
  [/timed? ?out|ETIMEDOUT|no answer (before|within)/iu, 'timeout'],
  [/TLS|SSL|certificate/u, 'tls'],
];

const TLS_CODES = new Set([
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/**
 * The class of a Redis error (a reply error, a socket error, ioredis' own). The innermost error that
 * says something decides: our BusUnavailableError wraps the original as `cause`, and a cluster's
 * "Failed to refresh slots cache." keeps the last node's error.
 */
export function classifyRedisError(error: unknown): RedisFaultClass {
  const chain: Error[] = [];
  for (let current: unknown = error; current instanceof Error && chain.length < 4; current = next(current)) chain.push(current);
  for (const current of chain.reverse()) {
    const fault = classifyOne(current);
    if (fault !== 'other') return fault;
  }
  return 'other';
}

function classifyOne(error: Error): RedisFaultClass {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TLS_CODES.has(code)) return 'tls';
  if (code === 'ETIMEDOUT') return 'timeout';
  for (const [pattern, fault] of REPLY_PREFIXES) if (pattern.test(error.message)) return fault;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return 'unreachable';
  return 'other';
}

/** Where the underlying error is: a cluster's "all nodes failed" keeps the last node's, a wrapper its cause. */
function next(error: Error): unknown {
  const inner = (error as { lastNodeError?: unknown }).lastNodeError;
  return inner instanceof Error ? inner : error.cause;
}

/** What an operator should do about a fault of `fault`'s class; `target` names the configured variable. */
export function adviceFor(fault: RedisFaultClass, target: string): string {
  switch (fault) {
    case 'unreachable':
      return `check ${target} and that Redis is running and reachable from this node`;
    case 'timeout':
      return `check that Redis at ${target} is not overloaded or paused, and the network between them`;
    case 'auth':
      return `fix the user name and password in ${target} (redis://user:password@host:port) or the server's ACL`;
    case 'tls':
      return `use redis:// for a port without TLS, rediss:// only for a TLS port whose certificate this node trusts (NODE_EXTRA_CA_CERTS on Node, DENO_CERT on Deno)`;
    case 'noperm':
      return "grant the ACL user the commands switchboard needs (at least '+@read +@write +@stream +@pubsub +@scripting +@connection +info +time'; see docs/OPERATIONS.md)";
    case 'readonly':
      return `point ${target} at the primary, not a replica (or use REDIS_SENTINELS, which follows the primary)`;
    case 'oom':
      return 'free memory or raise maxmemory on Redis (sends fail until then; history is never evicted with noeviction)';
    case 'noscript':
      return 'nothing: the node reloads its scripts by itself (report this if it repeats)';
    case 'loading':
      return 'wait: Redis is loading its data set';
    case 'clusterdown':
      return `check that every slot of the cluster at ${target} is served (CLUSTER INFO)`;
    case 'notcluster':
      return 'use REDIS_URL for a Redis that does not run in cluster mode, REDIS_CLUSTER_NODES only for the nodes of a Redis Cluster';
    case 'clusternode':
      // On a cluster connection a MOVED that surfaces means slots are moving, not a wrong variable.
      return target === 'REDIS_CLUSTER_NODES'
        ? 'wait: slots are moving between shards (resharding or a failover); retried sends succeed once the slot map settles'
        : 'use REDIS_CLUSTER_NODES for the nodes of a Redis Cluster, REDIS_URL only for a Redis without cluster mode';
    case 'noprimary':
      return "check REDIS_SENTINEL_NAME: the sentinels must monitor a primary of that name ('sentinel monitor <name> …')";
    case 'other':
      return 'see the Redis error in this line';
  }
}

/** Redis failed in a way that retrying does not fix, while the node was starting. */
export class RedisStartError extends Error {
  override readonly name = 'RedisStartError';
  constructor(
    readonly fault: RedisFaultClass,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Redis did not answer a command (or a subscribe) in time, or refused it: the caller turns it into
 * its own "unavailable" error (the bus's `BusUnavailableError`, presence's `PresenceUnavailableError`).
 */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** The environment variable that names the Redis of `target` (for messages). */
export function targetVariable(target: { readonly kind: 'standalone' | 'cluster' | 'sentinel' }): string {
  return target.kind === 'standalone' ? 'REDIS_URL' : target.kind === 'cluster' ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS';
}

/** An error's message, with the node error behind a cluster's "Failed to refresh slots cache.". */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // ioredis' sentinel message says when its own next try is; ours are logged once, not per try.
  if (error.message.startsWith('All sentinels are unreachable')) return error.message.replace(/ Retrying from scratch after \d+ms\./u, '');
  const inner = (error as { lastNodeError?: unknown }).lastNodeError;
  return inner instanceof Error ? `${error.message} (${inner.message})` : error.message;
}
