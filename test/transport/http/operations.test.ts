import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app/create-app.ts';
import { parseConfig } from '../../../src/app/config.ts';
import { SEND } from '../../helpers/graphql-client.ts';
import { TEST_JWT_SECRET, tokenFor } from '../../helpers/tokens.ts';

const get = (app: App, path: string, headers: Record<string, string> = {}) =>
  app.fetch(new Request(`http://switchboard.test${path}`, { headers }));

describe('operating a node', () => {
  let app: App;
  beforeAll(async () => {
    app = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET }), { processMetrics: true });
    await app.start();
  });
  afterAll(() => app.stop());

  it('answers /health with 200', async () => {
    expect((await get(app, '/health')).status).toBe(200);
  });

  it('exports Prometheus metrics that count sends, bus messages and deliveries, with no user ids', async () => {
    const bob = await app.services.hub.subscribe('bob');
    const response = await app.fetch(
      new Request('http://switchboard.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('alice')}` },
        body: JSON.stringify({ query: SEND, variables: { to: 'bob', body: 'counted' } }),
      }),
    );
    expect(response.status).toBe(200);
    await bob.return?.();
    const metrics = await get(app, '/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^switchboard_messages_sent_total\{result="ok"\} 1$/m);
    expect(text).toMatch(/^switchboard_bus_messages_received_total 1$/m);
    expect(text).toMatch(/^switchboard_subscriptions_active 0$/m);
    expect(text).toMatch(/^switchboard_connections_open 0$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).not.toContain('bob');
    expect(text).not.toContain('alice');
  });

  it('is ready until it drains, then answers /ready with 503', async () => {
    const before = await get(app, '/ready');
    expect([before.status, await before.json()]).toEqual([200, { ready: true }]);
    app.drain();
    const after = await get(app, '/ready');
    expect([after.status, await after.json()]).toEqual([503, { ready: false }]);
  });
});

describe('GraphiQL', () => {
  it('is served at /graphql to browsers in development, with subscriptions over WebSocket', async () => {
    const app = createApp(parseConfig({}));
    const page = await (await get(app, '/graphql', { accept: 'text/html' })).text();
    expect(page).toContain('GraphiQL');
    expect(page).toContain('"subscriptionsProtocol":"WS"');
  });

  it('is not served in production', async () => {
    const app = createApp(parseConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET }));
    const response = await get(app, '/graphql', { accept: 'text/html' });
    expect(await response.text()).not.toContain('GraphiQL');
  });
});
