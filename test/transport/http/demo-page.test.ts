import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app/create-app.ts';
import { parseConfig } from '../../../src/app/config.ts';
import { DEMO_SCRIPT } from '../../../web/dist/bundles.js';
import { TEST_JWT_SECRET } from '../../helpers/tokens.ts';

const get = (app: App, path: string, method = 'GET') =>
  Promise.resolve(app.fetch(new Request(`http://switchboard.test${path}`, { method })));

describe('the demo page through the fetch handler', () => {
  let app: App;
  beforeAll(() => {
    app = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET }), { webAssets: { demoScript: DEMO_SCRIPT } });
  });
  afterAll(() => app.stop());

  it('GET / serves the page with labelled controls, a live message log, and only same-origin resources', async () => {
    const response = await get(app, '/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    for (const id of ['user-id', 'token', 'to', 'body']) expect(html).toContain(`<label for="${id}">`);
    expect(html).toMatch(/role="log" aria-live="polite"/);
    expect(html).toContain('role="status"');
    // No third-party origin anywhere: every src/href is a path on this node (or an inline data: icon).
    const references = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(references).toEqual(['data:,', '/demo.css', '/demo.js']);
  });

  it('GET /demo.js is one self-contained script (the page with @switchboard/client) that parses and knows the GraphQL path', async () => {
    const response = await get(app, '/demo.js');
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const source = await response.text();
    expect(() => new Script(source)).not.toThrow();
    expect(source).toContain('{"graphqlPath":"/graphql"}');
    // No import statement, dynamic import or require (the word may appear inside an error message).
    expect(source).not.toMatch(/(?:^|[;}])\s*import\s*[\w{*]|\bimport\(|\brequire\(/m);
  });

  it('GET /demo.css serves the style', async () => {
    const response = await get(app, '/demo.css');
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await response.text()).toContain(':focus-visible');
  });

  it('HEAD / answers without a body; POST / is 405 with Allow', async () => {
    const head = await get(app, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await get(app, '/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('leaves other paths alone: /graphql still answers GraphQL', async () => {
    const response = await app.fetch(
      new Request('http://switchboard.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
    );
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('an app built without the bundle answers /demo.js with 503 and what to run, and still serves the page', async () => {
    const bare = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET }));
    try {
      const script = await get(bare, '/demo.js');
      expect(script.status).toBe(503);
      expect(await script.text()).toBe('Cannot serve /demo.js: the demo page script was not bundled: run npm run build\n');
      expect((await get(bare, '/')).status).toBe(200);
    } finally {
      await bare.stop();
    }
  });
});
