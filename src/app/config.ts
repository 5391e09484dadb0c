import { parseSecurityConfig, SECURITY_VARIABLES, type SecurityConfig } from '../limits/config.ts';
import { parsePresenceConfig, PRESENCE_VARIABLES, type PresenceSettings } from '../presence/config.ts';
import { ADMISSION_VARIABLES, parseAdmissionConfig, type AdmissionSettings } from '../limits/admission.ts';

/**
 * Service configuration, read from environment variables and validated at start.
 * A bad value stops the start with a {@link ConfigError} that names the variable, the value and
 * what is allowed. {@link CONFIG_VARIABLES} is the single list `--help` prints.
 */

export type Routing = 'user' | 'broadcast';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** How tokens are verified. `dev` is the fixed development secret (never in production). */
export type JwtKeySource =
  | { readonly kind: 'secret'; readonly secret: string }
  | { readonly kind: 'jwks'; readonly url: string }
  | { readonly kind: 'dev' };

/** A Redis server address. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** Which Redis the bus uses: exactly one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS. */
export type RedisTarget =
  | { readonly kind: 'standalone'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisAddress[] }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly RedisAddress[]; readonly name: string };

export interface Config {
  readonly port: number;
  /** `undefined`: the embedded in-memory bus (one node). */
  readonly redis: RedisTarget | undefined;
  /** Replicas that must confirm a send (Redis WAIT) before it is acknowledged; 0: no wait. */
  readonly redisWaitReplicas: number;
  readonly routing: Routing;
  readonly jwt: JwtKeySource;
  readonly jwtIssuer: string | undefined;
  readonly jwtAudience: string | undefined;
  /** Verified tokens remembered per node (0: verify every time). */
  readonly jwtCacheEntries: number;
  readonly nodeId: string;
  readonly logLevel: LogLevel;
  readonly maxMessageBytes: number;
  /** How long a send may wait for Redis to acknowledge before it fails with UNAVAILABLE. */
  readonly sendTimeoutMs: number;
  /** Messages retained per recipient. */
  readonly historyMaxPerUser: number;
  readonly historyTtlSeconds: number;
  readonly idempotencyTtlSeconds: number;
  /** Who is online (docs/PRESENCE.md). */
  readonly presence: PresenceSettings;
  /** Upper bound on a graceful shutdown (SIGTERM/SIGINT) before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** How long a starting node waits for Redis before it exits (75); 0: it waits as long as it takes. */
  readonly startupTimeoutMs: number;
  /** Identity tolerances, limits and origins (SECURITY.md). */
  readonly security: SecurityConfig;
  /** When a new WebSocket is shed with 1013 (reconnect storms; SECURITY.md). */
  readonly admission: AdmissionSettings;
  readonly production: boolean;
}

/** Thrown when an environment variable has a value that is not allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** Every variable the service reads, with what it means and its default; printed by `--help`. */
export const CONFIG_VARIABLES: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'PORT', description: 'HTTP and WebSocket port (0 picks a free one). Default 4000.' },
  {
    name: 'REDIS_URL',
    description:
      'redis:// or rediss:// URL of one Redis. Set at most one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS; none: embedded in-memory single node.',
  },
  { name: 'REDIS_CLUSTER_NODES', description: "Redis Cluster seed nodes, 'host:port,host:port,…' (user routing uses sharded pub/sub)." },
  { name: 'REDIS_SENTINELS', description: "Redis Sentinel addresses, 'host:port,…'; requires REDIS_SENTINEL_NAME." },
  { name: 'REDIS_SENTINEL_NAME', description: 'Name of the primary the sentinels monitor (with REDIS_SENTINELS).' },
  {
    name: 'REDIS_WAIT_REPLICAS',
    description: 'A send is acknowledged only once this many replicas have it (WAIT, within SEND_TIMEOUT_MS). Default 0.',
  },
  { name: 'ROUTING', description: "'user' (default): one Redis channel per recipient; 'broadcast': one channel for all." },
  { name: 'JWT_SECRET', description: 'HS256 secret, at least 32 bytes.' },
  { name: 'JWT_JWKS_URL', description: 'http(s) URL of a JWKS; RS256/ES256/EdDSA keys.' },
  { name: 'JWT_ISSUER', description: "Required 'iss' claim, when set." },
  { name: 'JWT_AUDIENCE', description: "Required 'aud' claim, when set." },
  { name: 'JWT_CACHE_ENTRIES', description: 'Verified tokens remembered per node until they expire; 0 verifies every time. Default 100000.' },
  { name: 'NODE_ID', description: 'Name of this node in logs and the nodeId query. Default random.' },
  { name: 'LOG_LEVEL', description: 'fatal|error|warn|info|debug|trace|silent. Default info.' },
  { name: 'MAX_MESSAGE_BYTES', description: 'Largest message body in UTF-8 bytes. Default 4096.' },
  { name: 'SEND_TIMEOUT_MS', description: 'A send Redis has not acknowledged in this time fails with UNAVAILABLE. Default 2000.' },
  { name: 'HISTORY_MAX_PER_USER', description: 'Messages retained per recipient for resume and the inbox. Default 1000.' },
  { name: 'HISTORY_TTL_SECONDS', description: 'Age after which a retained message is dropped. Default 604800 (7 days).' },
  { name: 'IDEMPOTENCY_TTL_SECONDS', description: 'How long a clientMessageId is remembered. Default 86400 (24 h).' },
  ...PRESENCE_VARIABLES,
  { name: 'SHUTDOWN_TIMEOUT_MS', description: 'Upper bound on a graceful shutdown (drain, 1001 to sockets, finish sends). Default 10000.' },
  {
    name: 'STARTUP_TIMEOUT_MS',
    description: 'A node that has not reached Redis this long after start exits with code 69. Default 0: it waits (not ready) until Redis answers.',
  },
  { name: 'NODE_ENV', description: "'production' requires JWT_SECRET or JWT_JWKS_URL and disables /dev/token." },
  ...SECURITY_VARIABLES,
  ...ADMISSION_VARIABLES,
];

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const ROUTINGS: readonly Routing[] = ['user', 'broadcast'];
const MIN_SECRET_BYTES = 32;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses `env` into a {@link Config}. Empty strings count as unset.
 * @throws {ConfigError} on the first variable with a value that is not allowed.
 */
export function parseConfig(env: Env, randomId: () => string = () => crypto.randomUUID().slice(0, 8)): Config {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const production = read('NODE_ENV') === 'production';
  return {
    port: parseInteger(read, 'PORT', 4000, 0, 65535),
    ...parseRedis(read),
    routing: parseChoice(read, 'ROUTING', ROUTINGS, 'user'),
    jwt: parseJwtKeySource(read, production),
    jwtIssuer: read('JWT_ISSUER'),
    jwtAudience: read('JWT_AUDIENCE'),
    jwtCacheEntries: parseInteger(read, 'JWT_CACHE_ENTRIES', 100_000, 0, 10_000_000),
    nodeId: read('NODE_ID') ?? `node-${randomId()}`,
    logLevel: parseChoice(read, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    maxMessageBytes: parseInteger(read, 'MAX_MESSAGE_BYTES', 4096, 1, 1024 * 1024),
    sendTimeoutMs: parseInteger(read, 'SEND_TIMEOUT_MS', 2000, 10, 60_000),
    historyMaxPerUser: parseInteger(read, 'HISTORY_MAX_PER_USER', 1000, 1, 1_000_000),
    historyTtlSeconds: parseInteger(read, 'HISTORY_TTL_SECONDS', 7 * 24 * 3600, 1, 365 * 24 * 3600),
    idempotencyTtlSeconds: parseInteger(read, 'IDEMPOTENCY_TTL_SECONDS', 24 * 3600, 1, 30 * 24 * 3600),
    presence: parsePresenceConfig({
      text: read,
      integer: (name, fallback, min, max) => parseInteger(read, name, fallback, min, max),
      fail: (name, message) => {
        throw new ConfigError(name, message);
      },
    }),
    shutdownTimeoutMs: parseInteger(read, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    startupTimeoutMs: parseInteger(read, 'STARTUP_TIMEOUT_MS', 0, 0, 86_400_000),
    security: parseSecurityConfig(
      {
        text: read,
        integer: (name, fallback, min, max) => parseInteger(read, name, fallback, min, max),
        fail: (name, message) => {
          throw new ConfigError(name, message);
        },
      },
      production,
    ),
    admission: parseAdmissionConfig({ integer: (name, fallback, min, max) => parseInteger(read, name, fallback, min, max) }),
    production,
  };
}

type Read = (name: string) => string | undefined;

function parseInteger(read: Read, name: string, fallback: number, min: number, max: number): number {
  const raw = read(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `Invalid ${name}: expected an integer from ${min} to ${max}: current value '${raw}'`);
  }
  return value;
}

function parseChoice<T extends string>(read: Read, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(name);
  if (raw === undefined) return fallback;
  const match = allowed.find((choice) => choice === raw);
  if (match === undefined) {
    throw new ConfigError(name, `Invalid ${name}: expected one of ${allowed.join(', ')}: current value '${raw}'`);
  }
  return match;
}

function parseUrl(read: Read, name: string, protocols: readonly string[]): string | undefined {
  const raw = read(name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `Invalid ${name}: expected a URL: current value '${redact(raw)}'`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(
      name,
      `Invalid ${name}: expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}: current value '${redact(raw)}'`,
    );
  }
  return raw;
}

function parseJwtKeySource(read: Read, production: boolean): JwtKeySource {
  const secret = read('JWT_SECRET');
  const jwksUrl = parseUrl(read, 'JWT_JWKS_URL', ['http:', 'https:']);
  if (secret !== undefined && jwksUrl !== undefined) {
    throw new ConfigError('JWT_SECRET', 'Invalid JWT_SECRET: set either JWT_SECRET or JWT_JWKS_URL, not both');
  }
  if (secret !== undefined) {
    const bytes = new TextEncoder().encode(secret).byteLength;
    if (bytes < MIN_SECRET_BYTES) {
      throw new ConfigError(
        'JWT_SECRET',
        `Invalid JWT_SECRET: expected at least ${MIN_SECRET_BYTES} bytes for HS256: current length ${bytes}`,
      );
    }
    return { kind: 'secret', secret };
  }
  if (jwksUrl !== undefined) return { kind: 'jwks', url: jwksUrl };
  if (production) {
    throw new ConfigError(
      'JWT_SECRET',
      'Cannot start in production: no JWT configuration: set JWT_SECRET or JWT_JWKS_URL (NODE_ENV is production)',
    );
  }
  return { kind: 'dev' };
}

// A URL may carry a password (redis://:secret@host); never echo it back.
function redact(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/u, '//***@');
}

const REDIS_TARGETS = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const;

function parseRedis(read: Read): Pick<Config, 'redis' | 'redisWaitReplicas'> {
  const given = REDIS_TARGETS.filter((name) => read(name) !== undefined);
  if (given.length > 1) {
    throw new ConfigError(
      given[1] as string,
      `Invalid ${given[1]}: set only one of ${REDIS_TARGETS.join(', ')}: current values set: ${given.join(', ')}`,
    );
  }
  const name = read('REDIS_SENTINEL_NAME');
  const sentinels = parseAddresses(read, 'REDIS_SENTINELS');
  if (sentinels !== undefined && name === undefined) {
    throw new ConfigError('REDIS_SENTINEL_NAME', 'Invalid REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: current value unset');
  }
  if (sentinels === undefined && name !== undefined) {
    throw new ConfigError('REDIS_SENTINEL_NAME', `Invalid REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS: current value '${name}'`);
  }
  const url = parseUrl(read, 'REDIS_URL', ['redis:', 'rediss:']);
  const nodes = parseAddresses(read, 'REDIS_CLUSTER_NODES');
  const redis: RedisTarget | undefined =
    url !== undefined
      ? { kind: 'standalone', url }
      : nodes !== undefined
        ? { kind: 'cluster', nodes }
        : sentinels !== undefined && name !== undefined
          ? { kind: 'sentinel', sentinels, name }
          : undefined;
  const redisWaitReplicas = parseInteger(read, 'REDIS_WAIT_REPLICAS', 0, 0, 10);
  if (redis === undefined && redisWaitReplicas > 0) {
    throw new ConfigError(
      'REDIS_WAIT_REPLICAS',
      `Invalid REDIS_WAIT_REPLICAS: needs Redis (${REDIS_TARGETS.join(', ')}): current value '${redisWaitReplicas}'`,
    );
  }
  return { redis, redisWaitReplicas };
}

/** 'host:port,host:port' (IPv6 hosts in brackets: '[::1]:7000'). */
function parseAddresses(read: Read, name: string): RedisAddress[] | undefined {
  const raw = read(name);
  if (raw === undefined) return undefined;
  return raw.split(',').map((entry) => {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/u.exec(entry.trim());
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65535) {
      throw new ConfigError(name, `Invalid ${name}: expected host:port[,host:port…]: current value '${raw}'`);
    }
    return { host: (match[1] as string).replace(/^\[(.*)\]$/u, '$1'), port };
  });
}
