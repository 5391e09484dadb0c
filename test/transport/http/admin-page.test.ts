import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/app/config.ts';
import { createApp, type App } from '../../../src/app/create-app.ts';
import { ADMIN_SCRIPT, ADMIN_STYLE } from '../../../web/dist/bundles.js';
import { TEST_JWT_SECRET } from '../../helpers/tokens.ts';

const ADMIN_TOKEN = 'admin-page-test-token-0123456789abcdef';
const get = (app: App, path: string, method = 'GET') =>
  Promise.resolve(app.fetch(new Request(`http://switchboard.test${path}`, { method })));

describe('the admin page through the fetch handler', () => {
  let app: App;
  beforeAll(() => {
    app = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET, ADMIN_TOKEN }), {
      webAssets: { adminScript: ADMIN_SCRIPT, adminStyle: ADMIN_STYLE },
    });
  });
  afterAll(() => app.stop());

  it('GET /admin serves the sign-in form (a password field), the charts, the node table and the user form, loading only this node', async () => {
    const response = await get(app, '/admin');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toMatch(/<input id="admin-token"[^>]*type="password"/);
    for (const id of ['chart-messages', 'chart-connections', 'chart-latency', 'node-rows', 'totals', 'user-id', 'disconnect']) {
      expect(html).toContain(`id="${id}"`);
    }
    const references = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(references).toEqual(['data:,', '/admin.css', '/admin.js']);
  });

  it('GET /admin.js is one self-contained script with uPlot that starts the page; /admin.css holds uPlot\'s rules and ours', async () => {
    const script = await get(app, '/admin.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const source = await script.text();
    expect(() => new Script(source)).not.toThrow();
    expect(source).toContain('switchboardAdmin.startAdmin();');
    expect(source).toContain('sessionStorage');
    expect(source).not.toMatch(/(?:^|[;}])\s*import\s*[\w{*]|\bimport\(|\brequire\(/m);
    const style = await get(app, '/admin.css');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const css = await style.text();
    expect(css).toContain('.uplot');
    expect(css).toContain('#totals');
    expect(css).not.toContain('@import');
  });

  it('the page needs no token (it holds no data), the API does; POST /admin is 405', async () => {
    expect((await get(app, '/admin')).status).toBe(200);
    expect((await get(app, '/admin/api/nodes')).status).toBe(401);
    const post = await get(app, '/admin', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('without ADMIN_TOKEN the page and its files do not exist (404)', async () => {
    const bare = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET }), { webAssets: { adminScript: ADMIN_SCRIPT, adminStyle: ADMIN_STYLE } });
    try {
      for (const path of ['/admin', '/admin.js', '/admin.css']) expect((await get(bare, path)).status, path).toBe(404);
    } finally {
      await bare.stop();
    }
  });

  it('an app built without the bundle answers /admin.js and /admin.css with 503 and what to run, and still serves the page', async () => {
    const bare = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET, ADMIN_TOKEN }));
    try {
      for (const path of ['/admin.js', '/admin.css']) {
        const response = await get(bare, path);
        expect(response.status).toBe(503);
        expect(await response.text()).toBe(`Cannot serve ${path}: the admin page was not bundled: run npm run build\n`);
      }
      expect((await get(bare, '/admin')).status).toBe(200);
    } finally {
      await bare.stop();
    }
  });
});
