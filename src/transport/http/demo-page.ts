import type { Plugin } from 'graphql-yoga';
import { DEMO_CSS, DEMO_HTML } from './demo-assets.ts';
import type { DemoClientOptions } from './demo-options.ts';
import { useStaticPage } from './static-page.ts';

/**
 * Serves the demo page at `GET /` (also `/demo.css` and `/demo.js`, the bundled `script`; 503 when
 * the entry had no bundle to hand in): pick a user name (a development
 * token from `POST /dev/token`, or a pasted token when the server issues none), see messages arrive
 * live over graphql-ws through `@switchboard/client` (resuming after a reconnect or a reload), send
 * to another user, and see which node holds the socket.
 * `HEAD` is answered too; other methods on these paths get 405.
 */
export function useDemoPage(options: DemoClientOptions, script: string | undefined): Plugin {
  // web/demo/demo-client.ts bundled with @switchboard/client at build time, started once.
  const started = script === undefined ? undefined : `${script}\nswitchboardDemo.startDemo(${JSON.stringify(options)});\n`;
  return useStaticPage(
    'the demo page script',
    new Map([
      ['/', { type: 'text/html', body: DEMO_HTML }],
      ['/demo.css', { type: 'text/css', body: DEMO_CSS }],
      ['/demo.js', { type: 'text/javascript', body: started }],
    ]),
  );
}
