import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { BackoffOptions } from './backoff.ts';
import type { UrlOption } from './connector.ts';
import type { CursorStore } from './cursor-store.ts';
import type { DocumentInput } from './documents.ts';
import type { SwitchboardClientError } from './errors.ts';
import type { FeedGap, FeedStatus } from './feed-status.ts';
import type { WireRequest, WireResult } from './link.ts';
import type { SwitchboardMessageFragment, SwitchboardPresenceChangedSubscription } from './operations.generated.ts';
import type { SendOptions } from './send.ts';
import type { SubscriptionSink } from './subscription-user.ts';
import type { LivenessOptions } from './ws-link.ts';

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
