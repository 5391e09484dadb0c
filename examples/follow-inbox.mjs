#!/usr/bin/env node
// examples/resume-client.mjs, with @switchboard/client doing the work: it follows the token's
// user's inbox across reconnects, node failures, drains and token refreshes, delivering each
// message once and in order. Build the client first (`npm run build` builds client/dist too).
//
//   SWITCHBOARD_URLS=ws://localhost:4001/graphql,ws://localhost:4002/graphql \
//   SWITCHBOARD_TOKEN=<jwt> [SWITCHBOARD_AFTER=<id>] node examples/follow-inbox.mjs
//
// Prints one JSON line per message on stdout, and each connection state on stderr.
import { createSwitchboardClient, memoryCursorStore } from '@switchboard/client';
import WebSocket from 'ws';

const urls = (process.env.SWITCHBOARD_URLS ?? 'ws://localhost:4000/graphql').split(',');
const token = process.env.SWITCHBOARD_TOKEN;
if (!token) {
  process.stderr.write('Cannot follow the inbox: SWITCHBOARD_TOKEN is not set: current value ""\n');
  process.exit(78);
}

const client = createSwitchboardClient({
  url: urls,
  getToken: () => token, // a real app fetches a fresh one here
  webSocketImpl: WebSocket, // Node 20 has no global WebSocket
  cursorStore: memoryCursorStore(process.env.SWITCHBOARD_AFTER || undefined),
});
const stop = client.messages({
  onMessage: (message) => process.stdout.write(`${JSON.stringify(message)}\n`),
  onGap: ({ after }) => process.stderr.write(`retention dropped messages after ${after}; continuing live\n`),
  onStatus: (status) => process.stderr.write(`${JSON.stringify(status)}\n`),
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stop();
    client.dispose();
  });
}
