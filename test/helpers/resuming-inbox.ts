import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { ReceivedMessage } from './graphql-client.ts';

const RESUME = `subscription Resume($after: ID) {
  messageReceived(after: $after) { id fromUserId toUserId body sentAt }
}`;

/** A client that, like a well-behaved app, resumes with `after` = the last id it saw on every reconnect. */
export interface ResumingInbox {
  /** Everything received, duplicates included, in arrival order. */
  readonly messages: ReceivedMessage[];
  readonly errors: unknown[];
  /** How many times the subscription was re-opened. */
  readonly reconnects: number;
  /** Close codes of the sockets that closed under it (1001 = the node went away). */
  readonly closeCodes: number[];
  stop(): Promise<void>;
}

/**
 * Subscribes `messageReceived(after)` on `wsUrls[0]`; whenever the socket fails or the subscription
 * ends, reconnects to the next URL (round robin) with the last id received. `connectionParams` is a
 * function, so a fresh token is fetched on every connect.
 */
export function resumingInbox(options: { wsUrls: readonly string[]; token: () => Promise<string>; after: string }): ResumingInbox {
  const state = { messages: [] as ReceivedMessage[], errors: [] as unknown[], reconnects: 0, closeCodes: [] as number[] };
  let lastId = options.after;
  let index = 0;
  let client: Client | undefined;
  let stopped = false;

  const open = () => {
    if (stopped) return;
    const current = createClient({
      url: options.wsUrls[index % options.wsUrls.length] as string,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: async () => ({ authorization: `Bearer ${await options.token()}` }),
      on: { closed: (event) => void state.closeCodes.push((event as { code: number }).code) },
    });
    client = current;
    let reopened = false;
    const reopen = (error?: unknown) => {
      if (reopened || stopped) return;
      reopened = true;
      if (error !== undefined && !isCloseEvent(error)) state.errors.push(error);
      state.reconnects += 1;
      index += 1;
      void current.dispose();
      setTimeout(open, 20);
    };
    current.subscribe<{ messageReceived: ReceivedMessage }>(
      { query: RESUME, variables: { after: lastId } },
      {
        next: (result) => {
          if (result.errors !== undefined) state.errors.push(...result.errors);
          const message = result.data?.messageReceived;
          if (message === undefined) return;
          state.messages.push(message);
          lastId = message.id;
        },
        error: reopen,
        complete: () => reopen(),
      },
    );
  };
  open();

  return {
    get messages() {
      return state.messages;
    },
    get errors() {
      return state.errors;
    },
    get reconnects() {
      return state.reconnects;
    },
    get closeCodes() {
      return state.closeCodes;
    },
    async stop() {
      stopped = true;
      await client?.dispose();
    },
  };
}

// A socket that closed (node killed, going away) is the expected reason to resume, not an error.
function isCloseEvent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && 'reason' in error;
}
