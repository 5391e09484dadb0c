import type { GraphQLError, ExecutionResult } from 'graphql';

// What the protocol server (protocol-server.ts) keeps per operation, what an operation runs to, and
// what a pushed operation tells back when it is over.

/**
 * What an operation runs to: errors before it executes (sent as one `error` message), one result (one
 * `next`, then `complete`), a stream of results (a `next` each, then `complete`), or an operation that
 * writes its own frames ({@link PushedStream}).
 */
export type Outcome = readonly GraphQLError[] | ExecutionResult | AsyncIterable<ExecutionResult> | PushedStream;

/**
 * An operation that writes its own `next` frames (a pushed subscription, `pushed-subscription.ts`) and
 * tells the server when it is over through calls, not a promise: nothing is pending per operation
 * while it waits, and a pushed subscription waits for its whole life.
 */
export interface PushedStream {
  /** Starts the operation; `watcher` is told once when it is over. */
  start(watcher: OperationWatcher): void;
  /** The client completed the operation, or the socket closed. The watcher may still be told; the server ignores it then. */
  return(): void;
}

/** What a {@link PushedStream} tells the server. */
export interface OperationWatcher {
  /** The operation ended by itself: the server writes `complete`. */
  ended(): void;
  /** Writing a frame failed: the server writes `error` with it. */
  failed(error: unknown): void;
}

/**
 * One operation in flight: the entry of its id, the stream it runs (once there is one), and what a
 * pushed stream tells when it is over. An object with methods: a pushed subscription keeps it for its
 * whole life.
 */
export class Operation implements OperationWatcher {
  readonly id: string;
  readonly #session: OperationOwner;
  stream: AsyncIterator<ExecutionResult> | PushedStream | undefined;

  constructor(id: string, session: OperationOwner) {
    this.id = id;
    this.#session = session;
  }

  ended(): void {
    this.#session.operationEnded(this);
  }

  failed(error: unknown): void {
    this.#session.operationFailed(this, error);
  }
}

/** The session an {@link Operation} reports to. */
export interface OperationOwner {
  operationEnded(operation: Operation): void;
  operationFailed(operation: Operation, error: unknown): void;
}

export function isErrors(outcome: Outcome): outcome is readonly GraphQLError[] {
  return Array.isArray(outcome);
}

export function isPushed(outcome: Outcome): outcome is PushedStream {
  return typeof (outcome as Partial<PushedStream>).start === 'function';
}

export function isStream(outcome: Outcome): outcome is AsyncIterable<ExecutionResult> {
  return typeof (outcome as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}
