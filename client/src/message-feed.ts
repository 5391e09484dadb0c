import { fullJitter, type Backoff } from './backoff.ts';
import type { ConnectionEnd } from './close-policy.ts';
import type { LinkUser } from './connector.ts';
import { compareCursors } from './cursor.ts';
import type { CursorStore } from './cursor-store.ts';
import type { FeedDocument } from './documents.ts';
import { firstCode, fromWireErrors, SwitchboardClientError } from './errors.ts';
import type { FeedGap, FeedStatus } from './feed-status.ts';
import { postGraphQL } from './http.ts';
import type { Link, WireResult } from './link.ts';
import { sleepUnless } from './sleep.ts';
import type { TokenSource } from './token.ts';

/** What a {@link MessageFeed} needs from its client and its caller. */
export interface MessageFeedOptions<TMessage> {
  readonly document: FeedDocument;
  /** Other variables of a custom document. */
  readonly variables: Record<string, unknown>;
  readonly store: CursorStore;
  /** Start after this cursor instead of the store's. */
  readonly after?: string;
  /** Without a cursor: `'live'` (default) starts with new messages, `'retained'` with every retained one. */
  readonly initial: 'live' | 'retained';
  readonly tokens: TokenSource;
  readonly backoff: Backoff;
  readonly fetchFn?: typeof fetch;
  readonly onMessage: (message: TMessage) => void;
  readonly onGap?: (gap: FeedGap) => void;
  readonly onStatus?: (status: FeedStatus) => void;
  readonly onError?: (error: SwitchboardClientError) => void;
}

/** Page size of the catch-up (the server's maximum for `messages(first:)`). */
const PAGE = 500;

/**
 * One `messages()` call: keeps the cursor (the last id delivered), and on every link catches up
 * with `messages(after: cursor)` page by page, then subscribes with `messageReceived(after: cursor)`.
 * Every message is delivered once and in order: ids not after the cursor are dropped.
 */
export class MessageFeed<TMessage> implements LinkUser {
  #cursor: string | undefined;
  #loaded = false;
  #attachedBefore = false;
  #errorsInARow = 0;
  /** A gap found by the subscription itself, to report as `recovered: false` on the next `live`. */
  #gapPending = false;

  constructor(private readonly options: MessageFeedOptions<TMessage>) {}

  /** The id of the last message delivered. */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  connecting(url: string, attempt: number): void {
    this.options.onStatus?.({ state: 'connecting', attempt, url });
  }

  detached(end: ConnectionEnd, retryInMs: number, attempt: number): void {
    this.options.onStatus?.({ state: 'connecting', attempt, closeCode: end.code, closeReason: end.reason, retryInMs });
  }

  stopped(error: SwitchboardClientError): void {
    // No retryInMs: the feed has stopped; `messages()` again once getToken has a new token.
    this.options.onStatus?.({ state: 'connecting', attempt: 0, closeCode: 4604, closeReason: error.message });
    this.options.onError?.(error);
  }

  attach(link: Link, signal: AbortSignal): void {
    void this.#run(link, signal).catch((error: unknown) => this.#report(error));
  }

  async #run(link: Link, signal: AbortSignal): Promise<void> {
    if (!this.#loaded) {
      this.#cursor = this.options.after ?? (await this.options.store.load());
      this.#loaded = true;
    }
    const resumed = this.#attachedBefore || this.#cursor !== undefined;
    const catchUp = this.#cursor !== undefined || (!this.#attachedBefore && this.options.initial === 'retained');
    this.#attachedBefore = true;
    let count = 0;
    let gap = this.#gapPending;
    this.#gapPending = false;
    if (catchUp) {
      this.options.onStatus?.({ state: 'recovering', ...(this.#cursor === undefined ? {} : { after: this.#cursor }) });
      for (let attempt = 0; ; attempt++) {
        try {
          count = await this.#catchUp(link, signal);
          break;
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof SwitchboardClientError && error.code === 'CURSOR_EXPIRED') {
            gap = this.#gap();
            break;
          }
          this.#report(error);
          if (error instanceof SwitchboardClientError && error.code === 'NETWORK') {
            // The node does not answer HTTP: move on (an SSE link has no socket to notice it by).
            link.close(1006, `Cannot catch up: ${error.message}`);
            return;
          }
          await sleepUnless(signal, fullJitter(this.options.backoff, attempt));
          if (signal.aborted) return;
        }
      }
    }
    if (signal.aborted) return;
    this.#subscribe(link, signal);
    this.options.onStatus?.({
      state: 'live',
      url: link.httpUrl,
      ...(resumed || catchUp ? { recovered: !gap, recoveredCount: count } : {}),
    });
  }

  /** Fetches everything retained after the cursor, delivering it; returns how many were new. */
  async #catchUp(link: Link, signal: AbortSignal): Promise<number> {
    let count = 0;
    for (;;) {
      const result = await postGraphQL({
        url: link.httpUrl,
        token: await this.options.tokens.get(),
        request: { query: this.options.document.catchUp, variables: { after: this.#cursor ?? null, first: PAGE } },
        signal,
        ...(this.options.fetchFn === undefined ? {} : { fetchFn: this.options.fetchFn }),
      });
      if (signal.aborted) return count;
      if (result.errors !== undefined && result.errors.length > 0) throw fromWireErrors('Cannot catch up on missed messages', result.errors);
      const page = result.data?.['messages'] as { items?: unknown; hasMore?: unknown } | undefined;
      if (!Array.isArray(page?.items)) throw new SwitchboardClientError('NETWORK', `Cannot catch up on missed messages: the answer has no items: ${JSON.stringify(result.data)}`);
      for (const item of page.items) if (this.#deliver(item)) count += 1;
      if (page.hasMore !== true || page.items.length === 0) return count;
    }
  }

  #subscribe(link: Link, signal: AbortSignal): void {
    const { document, variables } = this.options;
    let over = false;
    const stop = () => {
      over = true;
      cancel();
    };
    const again = (delayMs: number) => {
      stop();
      void sleepUnless(signal, delayMs).then(() => signal.aborted || this.attach(link, signal));
    };
    const cancel = link.subscribe(
      { query: document.subscription, variables: { ...variables, [document.afterVariable]: this.#cursor ?? null } },
      {
        next: (result: WireResult) => {
          if (over) return;
          if (result.errors !== undefined && result.errors.length > 0) {
            if (firstCode(result.errors) === 'CURSOR_EXPIRED') {
              this.#gapPending = this.#gap();
              return again(0);
            }
            // Over SSE an expired token shows up here rather than as a 4403 close.
            if (firstCode(result.errors) === 'UNAUTHENTICATED') this.options.tokens.invalidate();
            this.#report(fromWireErrors('Cannot follow messages', result.errors));
            return again(fullJitter(this.options.backoff, this.#errorsInARow++));
          }
          if (this.#deliver(result.data?.[document.responseKey])) this.#errorsInARow = 0;
        },
        // The server ended the subscription (it never does on its own): start again.
        complete: () => over || again(fullJitter(this.options.backoff, this.#errorsInARow++)),
      },
    );
    signal.addEventListener('abort', stop, { once: true });
  }

  /** Delivers `value` unless it is not after the cursor; returns whether it was delivered. */
  #deliver(value: unknown): boolean {
    const id = (value as { id?: unknown } | null | undefined)?.id;
    if (typeof id !== 'string') {
      this.#report(new SwitchboardClientError('NO_CURSOR', `Cannot deliver a message: it has no string 'id': current value ${JSON.stringify(value)}`));
      return false;
    }
    if (this.#cursor !== undefined && compareCursors(id, this.#cursor) <= 0) return false;
    this.#cursor = id;
    void Promise.resolve(this.options.store.save(id)).catch((error: unknown) => this.#report(error));
    try {
      this.options.onMessage(value as TMessage);
    } catch (error) {
      // The app's handler failed on this message; the feed goes on with the next one.
      this.#report(new SwitchboardClientError('HANDLER_FAILED', `Cannot hand message ${id} to onMessage: it threw: ${String(error)}`, { cause: error }));
    }
    return true;
  }

  /** Retention passed the cursor: tell the app once, forget the cursor, continue live. */
  #gap(): boolean {
    const after = this.#cursor;
    this.#cursor = undefined;
    void Promise.resolve(this.options.store.clear()).catch((error: unknown) => this.#report(error));
    if (after !== undefined) this.options.onGap?.({ after });
    return true;
  }

  #report(error: unknown): void {
    const coded = error instanceof SwitchboardClientError ? error : new SwitchboardClientError('NETWORK', `Cannot follow messages: ${String(error)}`, { cause: error });
    this.options.onError?.(coded);
  }
}
