import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { backoffWith, type BackoffOptions } from './backoff.ts';
import { Connector, type UrlOption } from './connector.ts';
import { memoryCursorStore, type CursorStore } from './cursor-store.ts';
import { feedDocument, type DocumentInput } from './documents.ts';
import { fromWireErrors, SwitchboardClientError } from './errors.ts';
import type { FeedGap, FeedStatus } from './feed-status.ts';
import { postGraphQL } from './http.ts';
import { toHttpUrl, type Link, type WireRequest, type WireResult } from './link.ts';
import { MessageFeed } from './message-feed.ts';
import {
  SwitchboardIsOnlineDocument,
  SwitchboardMessageReceivedDocument,
  SwitchboardOnlineCountDocument,
  SwitchboardPresenceChangedDocument,
  type SwitchboardMessageFragment,
  type SwitchboardPresenceChangedSubscription,
} from './operations.generated.ts';
import { sendWithRetries, type SendOptions } from './send.ts';
import { openSseLink } from './sse-link.ts';
import { SubscriptionUser, type SubscriptionSink } from './subscription-user.ts';
import { TokenSource } from './token.ts';
import { openWebSocketLink, type LivenessOptions } from './ws-link.ts';

/** A message as the default feed selects it. */
export type SwitchboardMessage = SwitchboardMessageFragment;
/** A presence event (`presenceChanged`). */
export type PresenceEvent = SwitchboardPresenceChangedSubscription['presenceChanged'];

/** Options of {@link createSwitchboardClient}. */
export interface SwitchboardClientOptions {
  /**
   * The node(s): a URL (`ws(s)://…/graphql` or `http(s)://…/graphql`; a load balancer's), a list of
   * node URLs tried in turn (the next one after a failure or a drain), or a function asked before
   * each connection.
   */
  readonly url: UrlOption;
  /** Returns the JWT. Called to connect, again shortly before the token expires, and after a 4403. */
  readonly getToken: () => string | Promise<string>;
  /** `'websocket'` (graphql-ws, default) or `'sse'` (GraphQL over SSE, graphql-sse's distinct connections). */
  readonly transport?: 'websocket' | 'sse';
  /** Where feeds keep their cursor. Default: each feed in memory (survives reconnects, not a reload). */
  readonly cursorStore?: CursorStore;
  /** Reconnect and retry delays (full jitter). Default 500 ms to 30 s. */
  readonly backoff?: BackoffOptions;
  /** A WebSocket constructor for runtimes without a global one (Node 20: `import WebSocket from 'ws'`). */
  readonly webSocketImpl?: unknown;
  /** Ping interval and pong deadline (WebSocket only). Default every 10 s, 5 s to answer. */
  readonly liveness?: LivenessOptions;
  /** Fetch a fresh token and replace the connection this long before the token expires. Default 30,000 ms. */
  readonly tokenRefreshMarginMs?: number;
  /** How long `send` keeps retrying retryable failures. Default 60,000 ms. */
  readonly sendRetryForMs?: number;
  /** A fetch implementation for HTTP (sends, catch-up, queries). Default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** Options of {@link SwitchboardClient.messages}. */
export interface MessagesOptions<TMessage = SwitchboardMessage> {
  /** Called once per message, in order. */
  readonly onMessage: (message: TMessage) => void;
  /** Called once when retention dropped messages after the cursor; the feed then continues live. */
  readonly onGap?: (gap: FeedGap) => void;
  /** Called on every change of connection state. */
  readonly onStatus?: (status: FeedStatus) => void;
  /** Errors the feed recovers from on its own (a failed catch-up, an error result), for logging. */
  readonly onError?: (error: SwitchboardClientError) => void;
  /**
   * A custom `messageReceived` subscription (a string or a typed document), e.g. with fewer fields;
   * it must select `id`. Its `after` argument is set by the client. Default: every field.
   */
  readonly document?: DocumentInput | TypedDocumentNode<Record<string, TMessage>, Record<string, unknown>>;
  /** The operation to run when `document` has several. */
  readonly operationName?: string;
  /** Other variables of `document`. */
  readonly variables?: Record<string, unknown>;
  /** Start after this cursor, instead of the cursor store's (a value for the document's cursor variable in `variables` works too). */
  readonly after?: string;
  /** With no cursor at all: `'live'` (default) starts with new messages, `'retained'` with every retained one. */
  readonly initial?: 'live' | 'retained';
  /** This feed's cursor store, instead of the client's. */
  readonly cursorStore?: CursorStore;
}

/** The client; see {@link createSwitchboardClient}. */
export interface SwitchboardClient {
  /** Follows the user's messages across reconnects, node failures and token refreshes; returns `unsubscribe`. */
  messages<TMessage = SwitchboardMessage>(options: MessagesOptions<TMessage>): () => void;
  /**
   * Sends `body` to `toUserId`, exactly once: one `clientMessageId` for every retry; retried on
   * `UNAVAILABLE` and network errors (next URL, full jitter), after `retryAfterMs` on `RATE_LIMITED`.
   * @throws SwitchboardClientError with the server's code (`BAD_USER_INPUT`, …), or `SEND_TIMEOUT`.
   */
  send(toUserId: string, body: string, options?: SendOptions): Promise<SwitchboardMessage>;
  /** Runs a query or mutation over HTTP. @throws SwitchboardClientError with the server's code. */
  request<TData, TVariables extends Record<string, unknown> = Record<string, never>>(
    document: TypedDocumentNode<TData, TVariables> | DocumentInput,
    variables?: TVariables,
  ): Promise<TData>;
  /** Runs a query or mutation over HTTP and returns the raw result, GraphQL errors included (for adapters). */
  execute(request: WireRequest): Promise<WireResult>;
  /** Any other subscription, started again (same variables) on every new connection; returns `unsubscribe`. */
  subscribe<TData, TVariables extends Record<string, unknown> = Record<string, never>>(
    document: TypedDocumentNode<TData, TVariables> | DocumentInput,
    variables: TVariables,
    sink: SubscriptionSink<TData>,
  ): () => void;
  /** Distinct users online in the cluster. */
  onlineCount(): Promise<number>;
  /** Whether each user is online, in the order asked. */
  isOnline(userIds: readonly string[]): Promise<boolean[]>;
  /** Presence of `userIds`: first each one's current state, then each change; returns `unsubscribe`. */
  presenceChanged(userIds: readonly string[], sink: SubscriptionSink<PresenceEvent>): () => void;
  /** Closes the connection and stops every feed. */
  dispose(): void;
}

/**
 * Creates a client that never loses a message: {@link SwitchboardClient.messages} resumes with the
 * last id on every reconnect and delivers each message once, in order.
 * @throws RangeError for a bad `backoff`; SwitchboardClientError `BAD_OPTION` without a WebSocket.
 */
export function createSwitchboardClient(options: SwitchboardClientOptions): SwitchboardClient {
  const backoff = backoffWith(options.backoff);
  if (options.transport !== 'sse' && options.webSocketImpl === undefined && typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') {
    throw new SwitchboardClientError('BAD_OPTION', "Cannot create the client: this runtime has no global WebSocket: pass 'webSocketImpl' (Node 20: import WebSocket from 'ws') or use transport 'sse'");
  }
  const refreshMarginMs = options.tokenRefreshMarginMs ?? 30_000;
  const tokens = new TokenSource(options.getToken, refreshMarginMs, () => Date.now());
  const liveness = { pingIntervalMs: 10_000, pongTimeoutMs: 5_000, connectTimeoutMs: 10_000, ...options.liveness };
  const fetchFn = options.fetch;
  const token = () => tokens.get();
  const open = (url: string): Link =>
    options.transport === 'sse'
      ? openSseLink({ url, token, ...(fetchFn === undefined ? {} : { fetchFn }) })
      : openWebSocketLink({ url, token, liveness, ...(options.webSocketImpl === undefined ? {} : { webSocketImpl: options.webSocketImpl }) });
  const connector = new Connector({ url: options.url, open, tokens, backoff, refreshMarginMs });
  let disposed = false;
  let spare = 0;

  /** Where HTTP goes: the node the link is on, else the URL option (a list: the next one each time). */
  const httpUrl = async (): Promise<string> => {
    const current = connector.link?.httpUrl;
    if (current !== undefined) return current;
    const { url } = options;
    if (typeof url === 'string') return toHttpUrl(url);
    if (typeof url === 'function') return toHttpUrl(await url());
    const chosen = url[spare++ % url.length];
    if (chosen === undefined) throw new SwitchboardClientError('BAD_OPTION', 'Cannot choose a node: the url list is empty: current value []');
    return toHttpUrl(chosen);
  };
  const ensureOpen = (what: string) => {
    if (disposed) throw new SwitchboardClientError('DISPOSED', `Cannot ${what}: the client was disposed`);
  };

  const execute = async (wire: WireRequest): Promise<WireResult> => {
    ensureOpen('run the operation');
    return postGraphQL({ url: await httpUrl(), token: await tokens.get(), request: wire, ...(fetchFn === undefined ? {} : { fetchFn }) });
  };
  const request: SwitchboardClient['request'] = async (document, variables) => {
    const result = await execute({ query: typeof document === 'string' ? document : print(document), ...(variables === undefined ? {} : { variables }) });
    if (result.errors !== undefined && result.errors.length > 0) throw fromWireErrors('Cannot run the operation', result.errors);
    return result.data as never;
  };

  const subscribe: SwitchboardClient['subscribe'] = (document, variables, sink) => {
    ensureOpen('subscribe');
    const user = new SubscriptionUser({ query: typeof document === 'string' ? document : print(document), variables }, sink);
    const leave = connector.use(user);
    user.onOver = leave;
    return leave;
  };

  return {
    messages(feedOptions) {
      ensureOpen('follow messages');
      const document = feedDocument(feedOptions.document ?? SwitchboardMessageReceivedDocument, feedOptions.operationName);
      const { [document.afterVariable]: given, ...variables } = feedOptions.variables ?? {};
      const after = feedOptions.after ?? (typeof given === 'string' ? given : undefined);
      const feed = new MessageFeed({
        document,
        variables,
        store: feedOptions.cursorStore ?? options.cursorStore ?? memoryCursorStore(),
        ...(after === undefined ? {} : { after }),
        initial: feedOptions.initial ?? 'live',
        tokens,
        backoff,
        ...(fetchFn === undefined ? {} : { fetchFn }),
        onMessage: feedOptions.onMessage as (message: unknown) => void,
        ...(feedOptions.onGap === undefined ? {} : { onGap: feedOptions.onGap }),
        ...(feedOptions.onStatus === undefined ? {} : { onStatus: feedOptions.onStatus }),
        ...(feedOptions.onError === undefined ? {} : { onError: feedOptions.onError }),
      });
      return connector.use(feed);
    },
    send(toUserId, body, sendOptions = {}) {
      ensureOpen('send message');
      return sendWithRetries({
        toUserId,
        body,
        options: sendOptions,
        httpUrl,
        tokens,
        backoff,
        retryForMs: options.sendRetryForMs ?? 60_000,
        ...(fetchFn === undefined ? {} : { fetchFn }),
      });
    },
    request,
    execute,
    subscribe,
    onlineCount: async () => (await request(SwitchboardOnlineCountDocument)).onlineCount,
    isOnline: async (userIds) => (await request(SwitchboardIsOnlineDocument, { userIds: [...userIds] })).isOnline,
    presenceChanged: (userIds, sink) =>
      subscribe(SwitchboardPresenceChangedDocument, { userIds: [...userIds] }, {
        next: (data) => sink.next(data.presenceChanged),
        ...(sink.error === undefined ? {} : { error: sink.error }),
        ...(sink.complete === undefined ? {} : { complete: sink.complete }),
      }),
    dispose() {
      disposed = true;
      connector.dispose();
    },
  };
}
