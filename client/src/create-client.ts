import { print } from 'graphql';
import { backoffWith } from './backoff.ts';
import type { SwitchboardClient, SwitchboardClientOptions } from './client-api.ts';
import { Connector } from './connector.ts';
import { memoryCursorStore } from './cursor-store.ts';
import { feedDocument } from './documents.ts';
import { fromWireErrors, SwitchboardClientError } from './errors.ts';
import { postGraphQL } from './http.ts';
import { toHttpUrl, type Link, type WireRequest, type WireResult } from './link.ts';
import { MessageFeed } from './message-feed.ts';
import {
  SwitchboardIsOnlineDocument,
  SwitchboardMessageReceivedDocument,
  SwitchboardOnlineCountDocument,
  SwitchboardPresenceChangedDocument,
} from './operations.generated.ts';
import { sendWithRetries } from './send.ts';
import { openSseLink } from './sse-link.ts';
import { SubscriptionUser } from './subscription-user.ts';
import { TokenSource } from './token.ts';
import { openWebSocketLink } from './ws-link.ts';

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

  /**
   * Where HTTP goes: the node the link is on (first attempts), else the URL option (a list: the
   * next one each time), so a retried send moves on from a node that does not answer.
   */
  const httpUrl = async (attempt = 0): Promise<string> => {
    const current = connector.link?.httpUrl;
    if (current !== undefined && attempt === 0) return current;
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
