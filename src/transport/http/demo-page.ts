import type { Plugin } from 'graphql-yoga';
import { DEMO_CSS, DEMO_HTML } from './demo-assets.ts';
import type { DemoClientOptions } from './demo-options.ts';

/**
 * Everything the page loads comes from this node: the markup, the style, the script, and the
 * GraphQL endpoint (HTTP and WebSocket, which `'self'` covers in `connect-src`).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the demo page at `GET /` (also `/demo.css` and `/demo.js`, the bundled `script`; 503 when
 * the entry had no bundle to hand in): pick a user name (a development
 * token from `POST /dev/token`, or a pasted token when the server issues none), see messages arrive
 * live over graphql-ws through `@switchboard/client` (resuming after a reconnect or a reload), send
 * to another user, and see which node holds the socket.
 * `HEAD` is answered too; other methods on these paths get 405.
 */
export function useDemoPage(options: DemoClientOptions, script: string | undefined): Plugin {
  const assets = new Map<string, { body: string; type: string }>([
    ['/', { body: DEMO_HTML, type: 'text/html; charset=utf-8' }],
    ['/demo.css', { body: DEMO_CSS, type: 'text/css; charset=utf-8' }],
  ]);
  // web/demo/demo-client.ts bundled with @switchboard/client at build time, started once.
  if (script !== undefined) {
    assets.set('/demo.js', { body: `${script}\nswitchboardDemo.startDemo(${JSON.stringify(options)});\n`, type: 'text/javascript; charset=utf-8' });
  }
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === '/demo.js' && script === undefined) {
        endResponse(
          new fetchAPI.Response('Cannot serve /demo.js: the demo page script was not bundled: run npm run build\n', {
            status: 503,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          }),
        );
        return;
      }
      const asset = assets.get(url.pathname);
      if (asset === undefined) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : asset.body, {
          status: 200,
          headers: {
            'content-type': asset.type,
            'cache-control': 'no-cache',
            'x-content-type-options': 'nosniff',
            'content-security-policy': CONTENT_SECURITY_POLICY,
          },
        }),
      );
    },
  };
}
