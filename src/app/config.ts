import type { JwtKeySource } from '../auth/verifier.ts';
import { ROUTINGS, type Routing } from '../bus/routing.ts';
import { ADMISSION_VARIABLES, parseAdmissionConfig, type AdmissionConfig } from '../limits/admission.ts';
import { parseSecurityConfig, SECURITY_VARIABLES, type SecurityConfig } from '../limits/config.ts';
import { parsePresenceConfig, PRESENCE_VARIABLES, type PresenceConfig } from '../presence/config.ts';
import { parseTracingConfig, TRACING_VARIABLES, type TracingConfig } from '../tracing/config.ts';
import type { RedisAddress, RedisTarget } from '../redis/target.ts';
import { ConfigError, createConfigReader, type ConfigReader, type ConfigVariable } from '../util/config-reader.ts';

export { ConfigError };

/**
 * Service configuration, read from environment variables and validated at start.
 * A bad value stops the start with a {@link ConfigError} that names the variable, the value and
 * what is allowed. {@link CONFIG_VARIABLES} is the single list `--help` prints.
 */

type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';


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
  readonly presence: PresenceConfig;
  /** OpenTelemetry tracing (the standard OTEL_* variables); `undefined` when off. */
  readonly tracing: TracingConfig | undefined;
  /** Upper bound on a graceful shutdown (SIGTERM/SIGINT) before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** How long a starting node waits for Redis before it exits (75); 0: it waits as long as it takes. */
  readonly startupTimeoutMs: number;
  /** Identity tolerances, limits and origins (SECURITY.md). */
  readonly security: SecurityConfig;
  /** When a new WebSocket is shed with 1013 (reconnect storms; SECURITY.md). */
  readonly admission: AdmissionConfig;
  readonly production: boolean;
  /** Turns the admin routes on (README "Admin API"); `undefined`: they answer 404. */
  readonly adminToken: string | undefined;
  /** When set, /metrics and /admin* are served only on this port (bound to `internalHost`). */
  readonly internalPort: number | undefined;
  readonly internalHost: string;
  /** How often the node publishes its cluster status heartbeat. */
  readonly heartbeatIntervalMs: number;
}

/** Every variable the service reads, with what it means and its default; printed by `--help`. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  { name: 'PORT', description: 'HTTP and WebSocket port (0 picks a free one). Default 4000.' },
  { name: 'ADMIN_TOKEN', description: 'At least 32 characters: turns on the admin API and page (/admin, Bearer token). Unset: they answer 404.' },
  { name: 'INTERNAL_PORT', description: 'When set, /metrics and /admin* are served only on this port (not on PORT). Unset: on PORT.' },
  { name: 'INTERNAL_HOST', description: 'Address INTERNAL_PORT binds to. Default 127.0.0.1 (only this host; set 0.0.0.0 for a scraper elsewhere).' },
  { name: 'HEARTBEAT_INTERVAL_MS', description: 'How often the node publishes its cluster status (silent for three: off the list). 100 to 5000. Default 5000.' },
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
  ...TRACING_VARIABLES,
];

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_SECRET_BYTES = 32;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses `env` into a {@link Config}. Empty strings count as unset.
 * @throws {ConfigError} on the first variable with a value that is not allowed.
 */
export function parseConfig(env: Env, randomId: () => string = () => crypto.randomUUID().slice(0, 8)): Config {
  const reader = createConfigReader(env);
  const { integer: int } = reader;
  const production = reader.text('NODE_ENV') === 'production';
  return {
    port: int('PORT', 4000, 0, 65535),
    ...parseRedis(reader),
    routing: reader.choice('ROUTING', ROUTINGS, 'user'),
    jwt: parseJwtKeySource(reader, production),
    jwtIssuer: reader.text('JWT_ISSUER'),
    jwtAudience: reader.text('JWT_AUDIENCE'),
    jwtCacheEntries: int('JWT_CACHE_ENTRIES', 100_000, 0, 10_000_000),
    nodeId: reader.text('NODE_ID') ?? `node-${randomId()}`,
    logLevel: reader.choice('LOG_LEVEL', LOG_LEVELS, 'info'),
    maxMessageBytes: int('MAX_MESSAGE_BYTES', 4096, 1, 1024 * 1024),
    sendTimeoutMs: int('SEND_TIMEOUT_MS', 2000, 10, 60_000),
    historyMaxPerUser: int('HISTORY_MAX_PER_USER', 1000, 1, 1_000_000),
    historyTtlSeconds: int('HISTORY_TTL_SECONDS', 7 * 24 * 3600, 1, 365 * 24 * 3600),
    idempotencyTtlSeconds: int('IDEMPOTENCY_TTL_SECONDS', 24 * 3600, 1, 30 * 24 * 3600),
    presence: parsePresenceConfig(reader),
    tracing: parseTracingConfig(reader),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    startupTimeoutMs: int('STARTUP_TIMEOUT_MS', 0, 0, 86_400_000),
    security: parseSecurityConfig(reader, production),
    admission: parseAdmissionConfig(reader),
    production,
    adminToken: parseAdminToken(reader),
    internalPort: reader.text('INTERNAL_PORT') === undefined ? undefined : reader.integer('INTERNAL_PORT', 0, 0, 65535),
    internalHost: reader.text('INTERNAL_HOST') ?? '127.0.0.1',
    heartbeatIntervalMs: reader.integer('HEARTBEAT_INTERVAL_MS', 5000, 100, 5000),
  };
}

const MIN_ADMIN_TOKEN_CHARACTERS = 32;

function parseAdminToken(reader: ConfigReader): string | undefined {
  const token = reader.text('ADMIN_TOKEN');
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_CHARACTERS) {
    reader.fail('ADMIN_TOKEN', `Invalid ADMIN_TOKEN: expected at least ${MIN_ADMIN_TOKEN_CHARACTERS} characters: current length ${token.length}`);
  }
  return token;
}

function parseUrl(reader: ConfigReader, name: string, protocols: readonly string[]): string | undefined {
  const raw = reader.text(name);
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

function parseJwtKeySource(reader: ConfigReader, production: boolean): JwtKeySource {
  const secret = reader.text('JWT_SECRET');
  const jwksUrl = parseUrl(reader, 'JWT_JWKS_URL', ['http:', 'https:']);
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

function parseRedis(reader: ConfigReader): Pick<Config, 'redis' | 'redisWaitReplicas'> {
  const given = REDIS_TARGETS.filter((name) => reader.text(name) !== undefined);
  if (given.length > 1) {
    throw new ConfigError(
      given[1] as string,
      `Invalid ${given[1]}: set only one of ${REDIS_TARGETS.join(', ')}: current values set: ${given.join(', ')}`,
    );
  }
  const name = reader.text('REDIS_SENTINEL_NAME');
  const sentinels = parseAddresses(reader, 'REDIS_SENTINELS');
  if (sentinels !== undefined && name === undefined) {
    throw new ConfigError('REDIS_SENTINEL_NAME', 'Invalid REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: current value unset');
  }
  if (sentinels === undefined && name !== undefined) {
    throw new ConfigError('REDIS_SENTINEL_NAME', `Invalid REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS: current value '${name}'`);
  }
  const url = parseUrl(reader, 'REDIS_URL', ['redis:', 'rediss:']);
  const nodes = parseAddresses(reader, 'REDIS_CLUSTER_NODES');
  const redis: RedisTarget | undefined =
    url !== undefined
      ? { kind: 'standalone', url }
      : nodes !== undefined
        ? { kind: 'cluster', nodes }
        : sentinels !== undefined && name !== undefined
          ? { kind: 'sentinel', sentinels, name }
          : undefined;
  const redisWaitReplicas = reader.integer('REDIS_WAIT_REPLICAS', 0, 0, 10);
  if (redis === undefined && redisWaitReplicas > 0) {
    throw new ConfigError(
      'REDIS_WAIT_REPLICAS',
      `Invalid REDIS_WAIT_REPLICAS: needs Redis (${REDIS_TARGETS.join(', ')}): current value '${redisWaitReplicas}'`,
    );
  }
  return { redis, redisWaitReplicas };
}

/** 'host:port,host:port' (IPv6 hosts in brackets: '[::1]:7000'). */
function parseAddresses(reader: ConfigReader, name: string): RedisAddress[] | undefined {
  const raw = reader.text(name);
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
