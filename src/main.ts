import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ADMIN_SCRIPT, ADMIN_STYLE, DEMO_SCRIPT } from '../web/dist/bundles.js';
import { runCli } from './app/cli.ts';
import { serveNode } from './runtime/node/host.ts';

// The Node entry, and with `main-deno.ts` the only module with side effects: read the environment,
// start, and stop on a signal (see `cli.ts`).

// The event-loop delay the heartbeat reports: p99 over each heartbeat interval, from its own
// histogram (prom-client's is reset by each scrape, so reading it would move /metrics' figures).
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

await runCli(
  {
    args: process.argv.slice(2),
    env: (name) => process.env[name],
    writeStdout: (text) => void process.stdout.write(text),
    writeStderr: (text) => void process.stderr.write(text),
    exit: (code) => process.exit(code),
    onceSignal: (signal, listener) => void process.once(signal, listener),
    onUnexpectedError(listener) {
      process.on('unhandledRejection', listener);
      process.on('uncaughtException', listener);
    },
  },
  serveNode,
  // The pages' scripts, bundled from web/ at build time (scripts/bundle-web.mjs); RSS and loop delay for the heartbeat.
  {
    webAssets: { demoScript: DEMO_SCRIPT, adminScript: ADMIN_SCRIPT, adminStyle: ADMIN_STYLE },
    rssBytes: () => process.memoryUsage.rss(),
    eventLoopDelayMs() {
      const p99 = loopDelay.count === 0 ? 0 : loopDelay.percentile(99) / 1e6;
      loopDelay.reset();
      return p99;
    },
  },
);
