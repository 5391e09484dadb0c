import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/app/config.ts';

const fail = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return { variable: error.variable, message: error.message };
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('security configuration', () => {
  it('has safe defaults, with introspection on only outside production', () => {
    expect(parseConfig({}).security).toEqual({
      clockSkewSeconds: 30,
      introspection: true,
      maxPayloadBytes: 65_536,
      maxDocumentCharacters: 8000,
      maxDepth: 6,
      maxAliases: 15,
      maxTokens: 1000,
      maxCost: 10_000,
      maxDirectives: 50,
      maxSubscriptionsPerConnection: 20,
      connectionInitTimeoutMs: 3000,
      maxConnections: 10_000,
      maxConnectionsPerUser: 20,
      sendRatePerSecond: 10,
      sendBurst: 50,
      slowConsumerBytes: 1024 * 1024,
      allowedOrigins: undefined,
    });
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).security.introspection).toBe(false);
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), INTROSPECTION: 'true' }).security.introspection).toBe(true);
  });

  it('reads ALLOWED_ORIGINS as a list of origins', () => {
    expect(parseConfig({ ALLOWED_ORIGINS: 'https://app.example, http://localhost:3000/' }).security.allowedOrigins).toEqual([
      'https://app.example',
      'http://localhost:3000',
    ]);
  });

  it.each([
    [{ ALLOWED_ORIGINS: 'https://app.example/path' }, 'ALLOWED_ORIGINS', "Invalid ALLOWED_ORIGINS: expected origins like https://app.example: current value 'https://app.example/path'"],
    [{ ALLOWED_ORIGINS: 'app.example' }, 'ALLOWED_ORIGINS', "Invalid ALLOWED_ORIGINS: expected origins like https://app.example: current value 'app.example'"],
    [{ INTROSPECTION: 'yes' }, 'INTROSPECTION', "Invalid INTROSPECTION: expected true or false: current value 'yes'"],
    [{ MAX_PAYLOAD_BYTES: '10' }, 'MAX_PAYLOAD_BYTES', "Invalid MAX_PAYLOAD_BYTES: expected an integer from 1024 to 67108864: current value '10'"],
    [{ JWT_CLOCK_SKEW_SECONDS: '-1' }, 'JWT_CLOCK_SKEW_SECONDS', "Invalid JWT_CLOCK_SKEW_SECONDS: expected an integer from 0 to 600: current value '-1'"],
  ])('refuses %j naming the variable, the value and what is allowed', (env, variable, message) => {
    expect(fail(env)).toEqual({ variable, message });
  });
});
