import { ADMIN_SCRIPT, ADMIN_STYLE, DEMO_SCRIPT } from '../web/dist/bundles.js';
import { runCli } from './app/cli.ts';
import { denoProcess, denoRss, serveDeno } from './runtime/deno/host.ts';

// The Deno entry, and with `main.ts` the only module with side effects: the same command line
// (`cli.ts`) hosted by `Deno.serve`. Run it with `npm run start:deno` (see deno.json for the
// permissions it needs).

await runCli(
  {
    ...denoProcess(),
    onUnexpectedError(listener) {
      // Handled here (preventDefault), so Deno prints no stack trace: the listener logs one line.
      globalThis.addEventListener('unhandledrejection', (event) => {
        event.preventDefault();
        listener(event.reason);
      });
      globalThis.addEventListener('error', (event) => {
        event.preventDefault();
        listener(event.error);
      });
    },
  },
  serveDeno,
  // The pages' scripts, bundled from web/ at build time (scripts/bundle-web.mjs); the RSS for the heartbeat.
  { webAssets: { demoScript: DEMO_SCRIPT, adminScript: ADMIN_SCRIPT, adminStyle: ADMIN_STYLE }, rssBytes: denoRss },
);
