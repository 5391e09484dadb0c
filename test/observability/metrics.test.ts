import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/create-app.ts';
import { parseConfig } from '../../src/app/config.ts';
import { SEND } from '../helpers/graphql-client.ts';
import { sampleOf } from '../helpers/metrics.ts';
import { TEST_JWT_SECRET, tokenFor } from '../helpers/tokens.ts';

// The node's metrics, in process through the fetch handler (the memory bus): each counts what
// happened, under the label value that names it.

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function start(env: Record<string, string> = {}): Promise<App> {
  app = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET, ...env }));
  await app.start();
  return app;
}

function graphql(node: App, query: string, variables: Record<string, unknown>, authorization?: string) {
  return node.fetch(
    new Request('http://switchboard.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ query, variables }),
    }),
  );
}

const metrics = async (node: App) => (await node.fetch(new Request('http://switchboard.test/metrics'))).text();

describe('metrics', () => {
  it('count and time every sendMessage by outcome, from the resolver to the bus acknowledging it', async () => {
    const node = await start({ SEND_RATE_PER_SECOND: '1', SEND_BURST: '1' });
    const alice = `Bearer ${await tokenFor('alice')}`;
    await graphql(node, SEND, { to: 'bob', body: 'one' }, alice);
    await graphql(node, SEND, { to: 'bob', body: 'two' }, alice); // over the burst of 1
    await graphql(node, SEND, { to: 'bob', body: '' }, `Bearer ${await tokenFor('carol')}`);
    await graphql(node, SEND, { to: 'bob', body: 'anonymous' });
    const text = await metrics(node);
    const outcomes = { ok: 1, rate_limited: 1, bad_user_input: 1, unauthenticated: 1, unavailable: 0, error: 0 };
    for (const [outcome, count] of Object.entries(outcomes)) {
      expect(sampleOf(text, 'switchboard_messages_sent_total', { result: outcome }), outcome).toBe(count);
      expect(sampleOf(text, 'switchboard_send_duration_seconds_count', { outcome }), outcome).toBe(count);
      expect(sampleOf(text, 'switchboard_send_duration_seconds_bucket', { outcome, le: '+Inf' }), outcome).toBe(count);
    }
    expect(sampleOf(text, 'switchboard_send_duration_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(text).not.toMatch(/alice|bob|carol/u);
  });

  it('count refused identities by reason, not by who', async () => {
    const node = await start();
    const expired = await tokenFor('alice', { exp: Math.floor(Date.now() / 1000) - 3600 });
    const forged = await tokenFor('alice', { secret: `${TEST_JWT_SECRET}-other` });
    await graphql(node, '{ __typename }', {}, `Bearer ${expired}`);
    await graphql(node, '{ __typename }', {}, `Bearer ${forged}`);
    await graphql(node, '{ __typename }', {}, 'Basic YWxpY2U6c2VjcmV0');
    await graphql(node, '{ __typename }', {}, 'Bearer not-a-jwt');
    await graphql(node, '{ __typename }', {}); // anonymous: not a failure
    const text = await metrics(node);
    expect(sampleOf(text, 'switchboard_auth_failures_total', { reason: 'expired' })).toBe(1);
    expect(sampleOf(text, 'switchboard_auth_failures_total', { reason: 'bad_signature' })).toBe(1);
    expect(sampleOf(text, 'switchboard_auth_failures_total', { reason: 'malformed' })).toBe(2);
    expect(sampleOf(text, 'switchboard_auth_failures_total', { reason: 'missing' })).toBe(0);
  });

  it('time live and catch-up deliveries apart, the bus receive lag, and history reads by outcome', async () => {
    const node = await start({ HISTORY_MAX_PER_USER: '3' });
    const { hub, bus } = node.services;
    const live = await hub.subscribe('bob');
    const first = await node.services.bus.send({ fromUserId: 'alice', toUserId: 'bob', body: 'a', sentAt: new Date().toISOString() });
    await bus.send({ fromUserId: 'alice', toUserId: 'bob', body: 'b', sentAt: new Date().toISOString() });
    expect((await live.next()).value).toMatchObject({ body: 'a' });
    expect((await live.next()).value).toMatchObject({ body: 'b' });
    await live.return?.();
    const resumed = await hub.subscribe('bob', first.id);
    expect((await resumed.next()).value).toMatchObject({ body: 'b' });
    await resumed.return?.();
    for (const body of ['c', 'd', 'e']) await bus.send({ fromUserId: 'alice', toUserId: 'bob', body, sentAt: new Date().toISOString() });
    await expect(hub.subscribe('bob', first.id)).rejects.toThrow(); // retention passed the cursor
    const text = await metrics(node);
    expect(sampleOf(text, 'switchboard_delivery_latency_seconds_count', { source: 'live' })).toBe(2);
    expect(sampleOf(text, 'switchboard_delivery_latency_seconds_count', { source: 'history' })).toBe(1);
    expect(sampleOf(text, 'switchboard_bus_receive_lag_seconds_count')).toBe(5);
    expect(sampleOf(text, 'switchboard_history_read_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(sampleOf(text, 'switchboard_history_read_duration_seconds_count', { outcome: 'cursor_expired' })).toBe(1);
    expect(sampleOf(text, 'switchboard_messages_delivered_total')).toBe(3);
  });

  it('say which version runs on which runtime, whether the node is ready, and nothing about Redis on the embedded bus', async () => {
    const node = await start();
    const before = await metrics(node);
    expect(sampleOf(before, 'switchboard_build_info', { version: VERSION, runtime: 'node' })).toBe(1);
    expect(sampleOf(before, 'switchboard_ready')).toBe(1);
    expect(before).not.toContain('switchboard_redis_connected');
    node.drain();
    expect(sampleOf(await metrics(node), 'switchboard_ready')).toBe(0);
  });

  it("take the version from src/observability/version.generated.ts, which is package.json's", async () => {
    const script = fileURLToPath(new URL('../../scripts/write-version.mjs', import.meta.url));
    await expect(promisify(execFile)(process.execPath, [script, '--check'])).resolves.toMatchObject({ stderr: '' });
    const generated = readFileSync(new URL('../../src/observability/version.generated.ts', import.meta.url), 'utf8');
    expect(generated).toContain(`export const VERSION = ${JSON.stringify(VERSION)};`);
  });
});
