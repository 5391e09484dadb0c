import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/app/config.ts';

const SECRET = 'x'.repeat(32);
const fail = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { variable: (error as ConfigError).variable, message: (error as Error).message };
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('defaults to an in-memory development node on port 4000 with user routing', () => {
    expect(parseConfig({}, () => 'abc')).toEqual({
      port: 4000,
      redis: undefined,
      redisWaitReplicas: 0,
      routing: 'user',
      jwt: { kind: 'dev' },
      jwtIssuer: undefined,
      jwtAudience: undefined,
      jwtCacheEntries: 100000,
      nodeId: 'node-abc',
      logLevel: 'info',
      maxMessageBytes: 4096,
      sendTimeoutMs: 2000,
      historyMaxPerUser: 1000,
      historyTtlSeconds: 604800,
      idempotencyTtlSeconds: 86400,
      presence: { enabled: true, ttlSeconds: 15, graceSeconds: 3 },
      tracing: undefined,
      shutdownTimeoutMs: 10000,
      startupTimeoutMs: 0,
      security: expect.objectContaining({ introspection: true, sendRatePerSecond: 10 }),
      admission: { maxHandshakes: 1000, maxLagMs: 0, retryMs: 1000 },
      production: false,
      adminToken: undefined,
      internalPort: undefined,
      internalHost: '127.0.0.1',
      heartbeatIntervalMs: 5000,
    });
  });

  it('reads every variable', () => {
    expect(
      parseConfig({
        PORT: '8080',
        REDIS_URL: 'redis://:pw@localhost:6380/1',
        REDIS_WAIT_REPLICAS: '2',
        ROUTING: 'broadcast',
        JWT_SECRET: SECRET,
        JWT_ISSUER: 'https://issuer.example',
        JWT_AUDIENCE: 'switchboard',
        JWT_CACHE_ENTRIES: '0',
        NODE_ID: 'n1',
        LOG_LEVEL: 'debug',
        MAX_MESSAGE_BYTES: '100',
        SEND_TIMEOUT_MS: '500',
        HISTORY_MAX_PER_USER: '10',
        HISTORY_TTL_SECONDS: '60',
        IDEMPOTENCY_TTL_SECONDS: '120',
        PRESENCE: 'off',
        PRESENCE_TTL_SECONDS: '2',
        PRESENCE_GRACE_SECONDS: '0',
        SHUTDOWN_TIMEOUT_MS: '3000',
        STARTUP_TIMEOUT_MS: '30000',
        NODE_ENV: 'production',
        ADMIN_TOKEN: 'a'.repeat(32),
        INTERNAL_PORT: '9090',
        INTERNAL_HOST: '0.0.0.0',
        HEARTBEAT_INTERVAL_MS: '1000',
      }),
    ).toEqual({
      port: 8080,
      redis: { kind: 'standalone', url: 'redis://:pw@localhost:6380/1' },
      redisWaitReplicas: 2,
      routing: 'broadcast',
      jwt: { kind: 'secret', secret: SECRET },
      jwtIssuer: 'https://issuer.example',
      jwtAudience: 'switchboard',
      jwtCacheEntries: 0,
      nodeId: 'n1',
      logLevel: 'debug',
      maxMessageBytes: 100,
      sendTimeoutMs: 500,
      historyMaxPerUser: 10,
      historyTtlSeconds: 60,
      idempotencyTtlSeconds: 120,
      presence: { enabled: false, ttlSeconds: 2, graceSeconds: 0 },
      shutdownTimeoutMs: 3000,
      startupTimeoutMs: 30000,
      security: expect.objectContaining({ introspection: false }),
      admission: { maxHandshakes: 1000, maxLagMs: 0, retryMs: 1000 },
      production: true,
      adminToken: 'a'.repeat(32),
      internalPort: 9090,
      internalHost: '0.0.0.0',
      heartbeatIntervalMs: 1000,
    });
  });

  it('refuses an ADMIN_TOKEN shorter than 32 characters, saying its length, and a heartbeat slower than 5 s', () => {
    expect(() => parseConfig({ ADMIN_TOKEN: 'short' })).toThrow('Invalid ADMIN_TOKEN: expected at least 32 characters: current length 5');
    expect(() => parseConfig({ HEARTBEAT_INTERVAL_MS: '6000' })).toThrow("Invalid HEARTBEAT_INTERVAL_MS: expected an integer from 100 to 5000: current value '6000'");
  });

  it('treats empty values as unset', () => {
    expect(parseConfig({ PORT: '', ROUTING: ' ', JWT_SECRET: '' }).port).toBe(4000);
  });

  it('uses a JWKS URL', () => {
    expect(parseConfig({ JWT_JWKS_URL: 'https://id.example/.well-known/jwks.json' }).jwt).toEqual({
      kind: 'jwks',
      url: 'https://id.example/.well-known/jwks.json',
    });
  });

  it('reads a Redis Cluster from its seed nodes and Sentinel from its sentinels and primary name', () => {
    expect(parseConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002' }).redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
    expect(parseConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'switchboard' }).redis).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'switchboard',
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', "Invalid PORT: expected an integer from 0 to 65535: current value 'abc'"],
    [{ PORT: '70000' }, 'PORT', "Invalid PORT: expected an integer from 0 to 65535: current value '70000'"],
    [{ PORT: '-1' }, 'PORT', "Invalid PORT: expected an integer from 0 to 65535: current value '-1'"],
    [{ ROUTING: 'fanout' }, 'ROUTING', "Invalid ROUTING: expected one of user, broadcast: current value 'fanout'"],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', "Invalid LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent: current value 'loud'"],
    [{ MAX_MESSAGE_BYTES: '0' }, 'MAX_MESSAGE_BYTES', "Invalid MAX_MESSAGE_BYTES: expected an integer from 1 to 1048576: current value '0'"],
    [{ SEND_TIMEOUT_MS: '5' }, 'SEND_TIMEOUT_MS', "Invalid SEND_TIMEOUT_MS: expected an integer from 10 to 60000: current value '5'"],
    [{ HISTORY_MAX_PER_USER: '1e3' }, 'HISTORY_MAX_PER_USER', "Invalid HISTORY_MAX_PER_USER: expected an integer from 1 to 1000000: current value '1e3'"],
    [{ STARTUP_TIMEOUT_MS: '1.5s' }, 'STARTUP_TIMEOUT_MS', "Invalid STARTUP_TIMEOUT_MS: expected an integer from 0 to 86400000: current value '1.5s'"],
    [{ JWT_CACHE_ENTRIES: '-5' }, 'JWT_CACHE_ENTRIES', "Invalid JWT_CACHE_ENTRIES: expected an integer from 0 to 10000000: current value '-5'"],
    [{ PRESENCE: 'yes' }, 'PRESENCE', "Invalid PRESENCE: expected one of on, off: current value 'yes'"],
    [{ PRESENCE_TTL_SECONDS: '0' }, 'PRESENCE_TTL_SECONDS', "Invalid PRESENCE_TTL_SECONDS: expected an integer from 1 to 3600: current value '0'"],
    [{ PRESENCE_GRACE_SECONDS: '-1' }, 'PRESENCE_GRACE_SECONDS', "Invalid PRESENCE_GRACE_SECONDS: expected an integer from 0 to 3600: current value '-1'"],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL', "Invalid REDIS_URL: expected a URL starting with redis:// or rediss://: current value 'localhost:6379'"],
    [{ REDIS_URL: 'http://:hunter2@h' }, 'REDIS_URL', "Invalid REDIS_URL: expected a URL starting with redis:// or rediss://: current value 'http://***@h'"],
    [
      { REDIS_URL: 'redis://h', REDIS_CLUSTER_NODES: 'h:7000' },
      'REDIS_CLUSTER_NODES',
      'Invalid REDIS_CLUSTER_NODES: set only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS: current values set: REDIS_URL, REDIS_CLUSTER_NODES',
    ],
    [
      { REDIS_CLUSTER_NODES: 'h:7000', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' },
      'REDIS_SENTINELS',
      'Invalid REDIS_SENTINELS: set only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS: current values set: REDIS_CLUSTER_NODES, REDIS_SENTINELS',
    ],
    [{ REDIS_CLUSTER_NODES: 'h:7000,,h:7001' }, 'REDIS_CLUSTER_NODES', "Invalid REDIS_CLUSTER_NODES: expected host:port[,host:port…]: current value 'h:7000,,h:7001'"],
    [{ REDIS_CLUSTER_NODES: 'redis://h:7000' }, 'REDIS_CLUSTER_NODES', "Invalid REDIS_CLUSTER_NODES: expected host:port[,host:port…]: current value 'redis://h:7000'"],
    [{ REDIS_SENTINELS: 's:0', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS', "Invalid REDIS_SENTINELS: expected host:port[,host:port…]: current value 's:0'"],
    [{ REDIS_SENTINELS: 's:26379' }, 'REDIS_SENTINEL_NAME', 'Invalid REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: current value unset'],
    [{ REDIS_URL: 'redis://h', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINEL_NAME', "Invalid REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS: current value 'm'"],
    [{ REDIS_WAIT_REPLICAS: '1' }, 'REDIS_WAIT_REPLICAS', "Invalid REDIS_WAIT_REPLICAS: needs Redis (REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS): current value '1'"],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET', 'Invalid JWT_SECRET: expected at least 32 bytes for HS256: current length 5'],
    [{ JWT_JWKS_URL: 'ftp://x' }, 'JWT_JWKS_URL', "Invalid JWT_JWKS_URL: expected a URL starting with http:// or https://: current value 'ftp://x'"],
    [{ JWT_SECRET: SECRET, JWT_JWKS_URL: 'https://x' }, 'JWT_SECRET', 'Invalid JWT_SECRET: set either JWT_SECRET or JWT_JWKS_URL, not both'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET', 'Cannot start in production: no JWT configuration: set JWT_SECRET or JWT_JWKS_URL (NODE_ENV is production)'],
  ])('rejects %j naming the variable, the value and what is allowed', (env, variable, message) => {
    expect(fail(env)).toEqual({ variable, message });
  });

  describe('OpenTelemetry (OTEL_*)', () => {
    it('is off without an endpoint and with OTEL_SDK_DISABLED=true, and takes the specification defaults with one', () => {
      expect(parseConfig({}).tracing).toBeUndefined();
      expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
      expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
        url: 'http://collector:4318/v1/traces',
        protocol: 'http/protobuf',
        headers: {},
        timeoutMs: 10000,
        serviceName: 'switchboard',
        resourceAttributes: {},
        sampler: 'parentbased_traceidratio',
        samplerRatio: 1,
        batch: { scheduledDelayMillis: 5000, exportTimeoutMillis: 30000, maxQueueSize: 2048, maxExportBatchSize: 512 },
      });
    });

    it('reads every variable; the traces-only ones win, headers add up', () => {
      expect(
        parseConfig({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example/otlp/v1/traces',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc,x-tenant=a',
          OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=b',
          OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
          OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2000',
          OTEL_SERVICE_NAME: 'chat-push',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, cloud.region=eu-west-1',
          OTEL_TRACES_SAMPLER: 'traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.01',
          OTEL_BSP_SCHEDULE_DELAY: '1000',
          OTEL_BSP_EXPORT_TIMEOUT: '5000',
          OTEL_BSP_MAX_QUEUE_SIZE: '4096',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '256',
        }).tracing,
      ).toEqual({
        url: 'https://tempo.example/otlp/v1/traces',
        protocol: 'http/json',
        headers: { authorization: 'Basic abc', 'x-tenant': 'b' },
        timeoutMs: 2000,
        serviceName: 'chat-push',
        resourceAttributes: { 'deployment.environment': 'prod', 'cloud.region': 'eu-west-1' },
        sampler: 'traceidratio',
        samplerRatio: 0.01,
        batch: { scheduledDelayMillis: 1000, exportTimeoutMillis: 5000, maxQueueSize: 4096, maxExportBatchSize: 256 },
      });
    });

    const ON = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    it.each([
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', "Invalid OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL: current value 'collector:4318'"],
      [{ ...ON, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', "Invalid OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf or http/json (grpc is not supported): current value 'grpc'"],
      [{ ...ON, OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG', "Invalid OTEL_TRACES_SAMPLER_ARG: expected a number from 0 to 1: current value '2'"],
      [{ ...ON, OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER', expect.stringContaining("Invalid OTEL_TRACES_SAMPLER: expected one of")],
      // The entry is not quoted back: a header's value may be a credential.
      [{ ...ON, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer s3cret,broken' }, 'OTEL_EXPORTER_OTLP_HEADERS', "Invalid OTEL_EXPORTER_OTLP_HEADERS: expected 'name=value' pairs separated by commas (values URL-encoded): entry 2 is not"],
    ])('refuses %j naming the variable', (env, variable, message) => {
      expect(fail(env as Record<string, string>)).toEqual({ variable, message });
    });
  });
});
