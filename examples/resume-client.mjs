#!/usr/bin/env node
// A client that never misses a message: it remembers the last message id it saw and, on every
// (re)connect, resubscribes with `messageReceived(after: lastId)`. The server then sends everything
// retained after that id, in order, and goes live with no gap and no duplicate.
//
//   SWITCHBOARD_URLS=ws://localhost:4001/graphql,ws://localhost:4002/graphql \
//   SWITCHBOARD_TOKEN=<jwt> node examples/resume-client.mjs
//
// Prints one JSON line per message. Uses only the graphql-ws client and ws.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const RESUME = `subscription Resume($after: ID) {
  messageReceived(after: $after) { id fromUserId body sentAt }
}`;

/**
 * Follows the inbox of the token's user across reconnects and node failures.
 * @param {{ urls: string[], getToken: () => Promise<string>, onMessage: (m: object) => void,
 *           lastId?: string, onError?: (e: unknown) => void }} options
 * @returns {() => void} stops following
 */
export function followInbox({ urls, getToken, onMessage, lastId, onError = () => {} }) {
  let cursor = lastId;
  let attempt = 0;
  let stopped = false;
  let dispose = () => {};

  const subscribe = () => {
    if (stopped) return;
    // Each attempt tries the next node: a load balancer would do this for you.
    const client = createClient({
      url: urls[attempt % urls.length],
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      // A function, so every reconnect presents a fresh token (tokens expire).
      connectionParams: async () => ({ authorization: `Bearer ${await getToken()}` }),
    });
    let done = false;
    const again = (error) => {
      if (done) return;
      done = true;
      void client.dispose();
      if (error?.errors?.[0]?.extensions?.code === 'CURSOR_EXPIRED' || error?.[0]?.extensions?.code === 'CURSOR_EXPIRED') {
        // Retention dropped messages after our cursor: refetch with the `messages` query, then live.
        onError(error);
        cursor = undefined;
      }
      attempt += 1;
      setTimeout(subscribe, Math.min(1000, 50 * attempt));
    };
    const unsubscribe = client.subscribe(
      { query: RESUME, variables: { after: cursor } },
      {
        next: (result) => {
          const message = result.data?.messageReceived;
          if (message) {
            cursor = message.id;
            attempt = 0;
            onMessage(message);
          } else if (result.errors) {
            again(result);
          }
        },
        error: again,
        complete: () => again(),
      },
    );
    dispose = () => {
      done = true;
      unsubscribe();
      void client.dispose();
    };
  };

  subscribe();
  return () => {
    stopped = true;
    dispose();
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const urls = (process.env.SWITCHBOARD_URLS ?? 'ws://localhost:4000/graphql').split(',');
  const token = process.env.SWITCHBOARD_TOKEN;
  if (!token) {
    process.stderr.write('Set SWITCHBOARD_TOKEN to a JWT (in development: POST /dev/token {"userId":"bob"}).\n');
    process.exit(2);
  }
  const stop = followInbox({
    urls,
    getToken: async () => token,
    lastId: process.env.SWITCHBOARD_AFTER || undefined,
    onMessage: (message) => process.stdout.write(`${JSON.stringify(message)}\n`),
    onError: (error) => process.stderr.write(`${JSON.stringify(error)}\n`),
  });
  process.once('SIGTERM', () => {
    stop();
    process.exit(0);
  });
}
