import type { ConfigReader, ConfigVariable } from '../util/config-reader.ts';

/**
 * The hardening settings: identity tolerances, request and query limits, connection limits, the send
 * rate limit and origins. Parsed by `config.ts` through a {@link ConfigReader}, so the variables are
 * listed in its one `CONFIG_VARIABLES` and fail with its `ConfigError`. SECURITY.md documents each.
 */
export interface SecurityConfig {
  /** Leeway for `exp` and `nbf` checks, in seconds. */
  readonly clockSkewSeconds: number;
  /** Schema introspection allowed (default: outside production only). */
  readonly introspection: boolean;
  /** Largest HTTP request body and WebSocket frame, in bytes. */
  readonly maxPayloadBytes: number;
  /** Longest GraphQL document, in characters. */
  readonly maxDocumentCharacters: number;
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxTokens: number;
  readonly maxCost: number;
  readonly maxDirectives: number;
  /** Operations one graphql-ws connection may have in flight (subscriptions included). */
  readonly maxSubscriptionsPerConnection: number;
  /** How long a socket may stay open without `connection_init`. */
  readonly connectionInitTimeoutMs: number;
  /** Open WebSockets plus SSE streams on this node. */
  readonly maxConnections: number;
  /** Open graphql-ws connections plus SSE streams of one user, across the cluster. */
  readonly maxConnectionsPerUser: number;
  /** Token bucket refill of `sendMessage` per user; 0 disables the limit. */
  readonly sendRatePerSecond: number;
  /** Token bucket size: sends a user may make in a burst. */
  readonly sendBurst: number;
  /** Unsent bytes after which a socket (or SSE stream) is closed as a slow consumer. */
  readonly slowConsumerBytes: number;
  /** Origins a browser may connect from (WebSocket upgrades, HTTP, SSE); `undefined`: any. */
  readonly allowedOrigins: readonly string[] | undefined;
}

/** The variables {@link parseSecurityConfig} reads, for `CONFIG_VARIABLES`. */
export const SECURITY_VARIABLES: readonly ConfigVariable[] = [
  { name: 'JWT_CLOCK_SKEW_SECONDS', description: "Leeway for the 'exp' and 'nbf' checks, in seconds. Default 30." },
  { name: 'INTROSPECTION', description: "'true' or 'false'. Default true outside production, false in production." },
  { name: 'MAX_PAYLOAD_BYTES', description: 'Largest HTTP request body (413) and WebSocket frame (close 1009). Default 65536.' },
  { name: 'MAX_DOCUMENT_CHARACTERS', description: 'Longest GraphQL document (LIMIT_EXCEEDED). Default 8000.' },
  { name: 'MAX_DEPTH', description: 'Deepest selection set (LIMIT_EXCEEDED). Default 6.' },
  { name: 'MAX_ALIASES', description: 'Aliases per operation (LIMIT_EXCEEDED). Default 15.' },
  { name: 'MAX_TOKENS', description: 'Lexical tokens per document (LIMIT_EXCEEDED). Default 1000.' },
  { name: 'MAX_COST', description: "Estimated cost per operation, graphql-armor's estimate (LIMIT_EXCEEDED); the largest messages page costs 8875. Default 10000." },
  { name: 'MAX_DIRECTIVES', description: 'Directives per operation (LIMIT_EXCEEDED). Default 50.' },
  { name: 'MAX_SUBSCRIPTIONS_PER_CONNECTION', description: 'Operations in flight on one graphql-ws connection (LIMIT_EXCEEDED). Default 20.' },
  { name: 'CONNECTION_INIT_TIMEOUT_MS', description: 'A socket without connection_init in this time is closed with 4408. Default 3000.' },
  { name: 'MAX_CONNECTIONS', description: 'WebSockets plus SSE streams on this node (HTTP 503 / UNAVAILABLE). Default 10000.' },
  { name: 'MAX_CONNECTIONS_PER_USER', description: 'graphql-ws connections plus SSE streams of one user (close 4602 / LIMIT_EXCEEDED). Default 20.' },
  { name: 'SEND_RATE_PER_SECOND', description: 'sendMessage token refill per user per second, cluster-wide (RATE_LIMITED); 0 disables. Default 10.' },
  { name: 'SEND_BURST', description: 'sendMessage token bucket size per user. Default 50.' },
  { name: 'SLOW_CONSUMER_BYTES', description: 'Unsent bytes after which a socket is closed with 4601 (SSE: SLOW_CONSUMER). Default 1048576.' },
  { name: 'ALLOWED_ORIGINS', description: "Comma-separated origins (https://app.example) browsers may connect from; others get 403. Unset: any." },
];

/** Reads the variables of {@link SECURITY_VARIABLES}. @throws ConfigError (through `reader.fail`). */
export function parseSecurityConfig(reader: ConfigReader, production: boolean): SecurityConfig {
  const int = reader.integer;
  return {
    clockSkewSeconds: int('JWT_CLOCK_SKEW_SECONDS', 30, 0, 600),
    introspection: parseBoolean(reader, 'INTROSPECTION', !production),
    maxPayloadBytes: int('MAX_PAYLOAD_BYTES', 65_536, 1024, 64 * 1024 * 1024),
    maxDocumentCharacters: int('MAX_DOCUMENT_CHARACTERS', 8000, 100, 10_000_000),
    maxDepth: int('MAX_DEPTH', 6, 1, 1000),
    maxAliases: int('MAX_ALIASES', 15, 0, 10_000),
    maxTokens: int('MAX_TOKENS', 1000, 10, 1_000_000),
    maxCost: int('MAX_COST', 10_000, 1, 100_000_000),
    maxDirectives: int('MAX_DIRECTIVES', 50, 0, 10_000),
    maxSubscriptionsPerConnection: int('MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 10_000),
    connectionInitTimeoutMs: int('CONNECTION_INIT_TIMEOUT_MS', 3000, 100, 600_000),
    maxConnections: int('MAX_CONNECTIONS', 10_000, 1, 10_000_000),
    maxConnectionsPerUser: int('MAX_CONNECTIONS_PER_USER', 20, 1, 1_000_000),
    sendRatePerSecond: int('SEND_RATE_PER_SECOND', 10, 0, 1_000_000),
    sendBurst: int('SEND_BURST', 50, 1, 10_000_000),
    slowConsumerBytes: int('SLOW_CONSUMER_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    allowedOrigins: parseOrigins(reader),
  };
}

function parseBoolean(reader: ConfigReader, name: string, fallback: boolean): boolean {
  const raw = reader.text(name);
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return reader.fail(name, `Invalid ${name}: expected true or false: current value '${raw}'`);
}

function parseOrigins(reader: ConfigReader): readonly string[] | undefined {
  const raw = reader.text('ALLOWED_ORIGINS');
  if (raw === undefined) return undefined;
  return raw.split(',').map((entry) => {
    const value = entry.trim();
    let origin: string;
    try {
      origin = new URL(value).origin;
    } catch {
      origin = 'null';
    }
    // An origin is scheme://host[:port] only: a path or a typo would silently never match.
    if (origin === 'null' || origin !== value.replace(/\/$/u, '')) {
      reader.fail('ALLOWED_ORIGINS', `Invalid ALLOWED_ORIGINS: expected origins like https://app.example: current value '${value}'`);
    }
    return origin;
  });
}
