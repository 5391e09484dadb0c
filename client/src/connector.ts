import { backoffWith, type Backoff } from './backoff.ts';
import { nextStep, TOKEN_REFRESH_CODE, type ConnectionEnd } from './close-policy.ts';
import { SwitchboardClientError } from './errors.ts';
import type { Link } from './link.ts';
import type { TokenSource } from './token.ts';

/** Something that runs on the current {@link Link} and starts again on the next one. */
export interface LinkUser {
  /** The link is ready: start (again). `signal` aborts when the link ends or the user leaves. */
  attach(link: Link, signal: AbortSignal): void;
  /** The link ended; `retryInMs` says when the next one is tried. */
  detached(end: ConnectionEnd, retryInMs: number, attempt: number): void;
  /** A new link is being opened to `url`. */
  connecting(url: string, attempt: number): void;
  /** The connector gave up for good (the token was revoked and `getToken` offers no other): `error` says why. */
  stopped?(error: SwitchboardClientError): void;
}

/** Where to connect: one URL, a list tried in turn, or a function asked before each attempt. */
export type UrlOption = string | readonly string[] | (() => string | Promise<string>);

/** What a {@link Connector} needs. */
export interface ConnectorOptions {
  readonly url: UrlOption;
  readonly open: (url: string) => Link;
  readonly tokens: TokenSource;
  readonly backoff: Backoff;
  /** Replace the connection this long before its token expires. */
  readonly refreshMarginMs: number;
}

/**
 * Keeps one link open while anything uses it: opens it, hands it to every {@link LinkUser}, and when
 * it ends decides (by its close code, see `nextStep`) how long to wait, whether to fetch a fresh
 * token and whether to move to the next URL; then opens the next one. It also replaces a
 * connection shortly before its token expires, so the server never has to close it with 4403.
 */
export class Connector {
  readonly #users = new Set<LinkUser>();
  readonly #options: ConnectorOptions;
  #link: Link | undefined;
  #linkAbort: AbortController | undefined;
  #running = false;
  #disposed = false;
  #urlIndex = 0;
  #wake: (() => void) | undefined;

  constructor(options: ConnectorOptions) {
    this.#options = { ...options, backoff: backoffWith(options.backoff) };
  }

  /** The link in use, once ready. */
  get link(): Link | undefined {
    return this.#link;
  }

  /** Adds a user; opens a link if none is open. Returns the function that removes it. */
  use(user: LinkUser): () => void {
    if (this.#disposed) return () => {};
    this.#users.add(user);
    if (this.#link !== undefined && this.#linkAbort !== undefined) user.attach(this.#link, this.#linkAbort.signal);
    if (!this.#running) void this.#run();
    return () => {
      this.#users.delete(user);
      if (this.#users.size === 0) this.#link?.close(1000, 'Normal Closure');
    };
  }

  /** Closes the link and stops reconnecting. */
  dispose(): void {
    this.#disposed = true;
    this.#users.clear();
    this.#link?.close(1000, 'Normal Closure');
    this.#wake?.();
  }

  async #nextUrl(moveOn: boolean): Promise<string> {
    const { url } = this.#options;
    if (typeof url === 'function') return url();
    if (typeof url === 'string') return url;
    if (moveOn) this.#urlIndex = (this.#urlIndex + 1) % url.length;
    const chosen = url[this.#urlIndex];
    if (chosen === undefined) throw new TypeError('Cannot connect: the url list is empty: current value []');
    return chosen;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    let attempt = 0;
    let forbiddenInARow = 0;
    let moveOn = false;
    try {
      while (!this.#disposed && this.#users.size > 0) {
        const url = await this.#nextUrl(moveOn);
        for (const user of this.#users) user.connecting(url, attempt);
        let link: Link;
        try {
          link = this.#options.open(url);
        } catch (error) {
          link = failedLink(url, error);
        }
        const opened = await Promise.race([link.ready.then(() => true), link.ended.then(() => false)]);
        if (opened) {
          attempt = 0;
          const abort = new AbortController();
          this.#link = link;
          this.#linkAbort = abort;
          this.#scheduleRefresh(link);
          for (const user of [...this.#users]) user.attach(link, abort.signal);
        }
        const end = await link.ended;
        this.#linkAbort?.abort();
        this.#link = undefined;
        this.#linkAbort = undefined;
        if (this.#disposed || this.#users.size === 0) break;
        // A 4403 on a socket that was accepted (its token expired) is a first one; refused ones add up.
        forbiddenInARow = end.code === 4403 ? (opened ? 1 : forbiddenInARow + 1) : 0;
        const step = nextStep(end, attempt, forbiddenInARow, this.#options.backoff);
        if (end.code !== TOKEN_REFRESH_CODE && !(opened && end.code === 1001)) attempt += 1;
        const revoked = step.revoked ? this.#options.tokens.peek() : undefined;
        if (step.reauthenticate) this.#options.tokens.invalidate();
        if (step.revoked && (await this.#sameToken(revoked))) {
          const error = new SwitchboardClientError(
            'TOKEN_REVOKED',
            `Cannot reconnect: the server disconnected this user (close ${end.code}: ${end.reason}) and getToken() returned the same token: return a new token to connect again`,
          );
          for (const user of [...this.#users]) user.stopped?.(error);
          this.#users.clear();
          break;
        }
        moveOn = step.nextUrl;
        for (const user of this.#users) user.detached(end, step.delayMs, attempt);
        if (step.delayMs > 0) await this.#sleep(step.delayMs);
      }
    } finally {
      this.#running = false;
    }
    // A user may have arrived while the loop was winding down.
    if (!this.#disposed && this.#users.size > 0) void this.#run();
  }

  /** Whether `getToken` now answers the token the server revoked (a failing `getToken` is retried later, not a stop). */
  async #sameToken(revoked: string | undefined): Promise<boolean> {
    try {
      return (await this.#options.tokens.refresh()) === revoked;
    } catch {
      return false;
    }
  }

  /** Replaces the link `refreshMarginMs` before its token expires (but not sooner than halfway). */
  #scheduleRefresh(link: Link): void {
    const { tokens, refreshMarginMs } = this.#options;
    void tokens.get().then((token) => {
      const left = tokens.msLeft(token);
      if (!Number.isFinite(left)) return;
      const delay = Math.max(left - refreshMarginMs, left / 2, 250);
      const timer = setTimeout(() => {
        tokens.invalidate();
        link.close(TOKEN_REFRESH_CODE, 'Token refresh');
      }, delay);
      void link.ended.then(() => clearTimeout(timer));
    }, () => {
      // getToken failed: the next connection asks again (and the server's 4403 says when it must).
    });
  }
}

/** A link that ended before it began (its transport threw while opening). */
function failedLink(url: string, error: unknown): Link {
  const ended = Promise.resolve({ code: 1006, reason: `Cannot connect to ${url}: ${error instanceof Error ? error.message : String(error)}` });
  return { httpUrl: url, ready: new Promise(() => {}), ended, subscribe: () => () => {}, close: () => {} };
}
