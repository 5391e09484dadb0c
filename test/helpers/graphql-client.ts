import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from './wait-for.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
}

/** POSTs a GraphQL operation to `url` (the service's `/graphql`), optionally with a bearer token. */
export async function post<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

export const SEND = `mutation Send($to: ID!, $body: String!) {
  sendMessage(toUserId: $to, body: $body) { id fromUserId toUserId body sentAt }
}`;
export const MESSAGES = 'subscription { messageReceived { id fromUserId toUserId body sentAt } }';

export interface ReceivedMessage {
  id: string;
  fromUserId: string;
  toUserId: string;
  body: string;
  sentAt: string;
}

/** A graphql-ws client (the official client over `ws`) authenticated as the token's user. */
export function connect(wsUrl: string, token: string | undefined, options: { lazy?: boolean } = {}): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: options.lazy ?? true,
    retryAttempts: 0,
    connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

/** Messages a subscription received, and its errors, as they arrive. */
export interface Inbox {
  readonly messages: ReceivedMessage[];
  readonly errors: unknown[];
  completed: boolean;
  /** Resolves once `count` non-probe messages arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Completes the subscription. */
  dispose(): void;
}

/** Sender id the probes use; their messages never reach `Inbox.messages`. */
export const PROBE_SENDER = 'probe';

/**
 * Subscribes to `messageReceived` and collects what arrives. Probe messages (from {@link PROBE_SENDER})
 * are counted separately: {@link subscribeReady} uses them to know the subscription is live.
 */
export function subscribeInbox(
  client: Client,
  query = MESSAGES,
  variables: Record<string, unknown> = {},
): Inbox & { probes: number } {
  const inbox = {
    messages: [] as ReceivedMessage[],
    errors: [] as unknown[],
    completed: false,
    probes: 0,
    waitForCount: (count: number, timeoutMs = 20_000) =>
      waitFor(`${count} messages (have ${inbox.messages.length})`, () =>
        inbox.messages.length >= count ? inbox.messages : undefined, { timeoutMs }),
    dispose: () => {},
  };
  inbox.dispose = client.subscribe<{ messageReceived: ReceivedMessage }>(
    { query, variables },
    {
      next: (result) => {
        const message = result.data?.messageReceived;
        if (result.errors !== undefined) inbox.errors.push(...result.errors);
        if (message === undefined) return;
        if (message.fromUserId === PROBE_SENDER) inbox.probes += 1;
        else inbox.messages.push(message);
      },
      error: (error) => inbox.errors.push(error),
      complete: () => (inbox.completed = true),
    },
  );
  return inbox;
}

/**
 * Subscribes and resolves once the subscription is live: it sends probe messages (as
 * {@link PROBE_SENDER}, via `sendUrl`) to the user until one arrives. Needed because a client cannot
 * otherwise know when the server has processed its `subscribe` frame.
 */
export async function subscribeReady(
  client: Client,
  options: { userId: string; sendUrl: string; probeToken: string },
): Promise<Inbox> {
  const inbox = subscribeInbox(client);
  await waitFor(
    `subscription of ${options.userId} to go live`,
    async () => {
      if (inbox.errors.length > 0) throw new Error(`subscription failed: ${JSON.stringify(inbox.errors)}`);
      if (inbox.probes > 0) return true;
      await post(options.sendUrl, SEND, { to: options.userId, body: 'probe' }, options.probeToken);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return inbox.probes > 0;
    },
    { intervalMs: 0 },
  );
  return inbox;
}
