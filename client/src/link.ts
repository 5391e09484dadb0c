import type { ConnectionEnd } from './close-policy.ts';
import type { WireError } from './errors.ts';

/** A GraphQL request on the wire. */
export interface WireRequest {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
}

/** A GraphQL result on the wire; nothing is trusted until checked. */
export interface WireResult {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: ReadonlyArray<WireError>;
}

/** Receives one operation's results on a {@link Link}. */
export interface WireSink {
  next(result: WireResult): void;
  /** The server ended the operation (graphql-ws `complete`, the end of an SSE stream). */
  complete(): void;
}

/**
 * One connection to one node, for as long as it lasts: a graphql-ws socket, or (SSE) the set of
 * streams opened against one URL. When it breaks, `ended` resolves and every operation on it is
 * over; the client then opens a new link and starts its operations again on it.
 */
export interface Link {
  /** The node's GraphQL-over-HTTP URL (`http(s)://…/graphql`), for queries, catch-up and sends. */
  readonly httpUrl: string;
  /** Resolves once operations may start (graphql-ws: `connection_ack`). */
  readonly ready: Promise<void>;
  /** Resolves once, when the link is over, with why. */
  readonly ended: Promise<ConnectionEnd>;
  /** Starts an operation; returns its cancel function. Errors frames arrive as results with `errors`. */
  subscribe(request: WireRequest, sink: WireSink): () => void;
  /** Ends the link with `code` and `reason` (the client's own decision). */
  close(code: number, reason: string): void;
}

/** A deferred promise: a promise and the function that settles it (once). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** `ws(s)://` → `http(s)://`; other URLs unchanged. */
export function toHttpUrl(url: string): string {
  return url.replace(/^ws(s?):/iu, 'http$1:');
}

/** `http(s)://` → `ws(s)://`; other URLs unchanged. */
export function toWsUrl(url: string): string {
  return url.replace(/^http(s?):/iu, 'ws$1:');
}
