import type { DeliveryTally, Message } from '../domain/message.ts';

/** Span attribute values: what OpenTelemetry takes, kept small (no user content). */
export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

/**
 * The span a step runs under, handed on explicitly (a server span's to its client spans), so the
 * span tree never depends on async context tracking: Node 20's AsyncLocalStorage slows every
 * `await` of the process once it is on (docs/OPERATIONS.md "Tracing a message", the cost).
 */
export interface TraceScope {
  readonly parent: unknown;
}

/**
 * What the rest of the node asks of tracing (`otel-tracing.ts` with OpenTelemetry's SDK, or
 * {@link disabledTracing}). Callers check {@link enabled} before doing any tracing work of their own,
 * so with tracing off a message costs one property read per step and no allocation.
 *
 * A "carry" is the W3C `traceparent` of a sampled span, the one thing that travels further: in the
 * bus message (so the delivering node continues the trace) and nowhere when the span is not sampled.
 */
export interface Tracing {
  readonly enabled: boolean;
  /**
   * A SERVER span for a request (sendMessage over HTTP or graphql-ws) that continues the caller's
   * `traceparent` (a new trace without one), active while `run` runs, so its log lines and child
   * spans belong to it. Ends with `run`, with an error status when it throws.
   */
  server<T>(name: string, traceparent: string | undefined, attributes: SpanAttributes, run: (scope: TraceScope) => Promise<T>): Promise<T>;
  /** A CLIENT span (a Redis script) under `scope`'s span; `run` gets its carry; `describe` adds attributes of its result. */
  client<T>(
    scope: TraceScope | undefined,
    name: string,
    attributes: SpanAttributes,
    run: (carry: string | undefined) => Promise<T>,
    describe?: (result: T) => SpanAttributes,
  ): Promise<T>;
  /**
   * The bus handed this node a message that carries a trace: one CONSUMER span, a child of the
   * sender's, around `deliver` (which counts what became of the message in each local session).
   */
  delivery(message: Message & { readonly traceparent: string }, deliver: (tally: DeliveryTally) => void): void;
  /**
   * A history read (a catch-up, or a resume after `after`): an INTERNAL span linked to the trace of
   * each message read that carries one. No user id in any span: message ids say enough.
   */
  historyRead<T extends { readonly items: readonly Message[] }>(after: string | undefined, run: () => Promise<T>): Promise<T>;
  /** A moment in a connection's life (open, close) as a span event: a span of its own, ended at once. */
  event(name: string, attributes: SpanAttributes): void;
  /**
   * `trace_id` and `span_id` of the active span, for a log line; `undefined` outside a recorded
   * span. Where async context is cheap (Deno, Node 24 and later) the active span follows every
   * `await`; on older Node only synchronous code inside a span sees it, and the send path passes its
   * ids to its log lines itself (`traceFieldsOf` in domain/message.ts).
   */
  logFields(): { trace_id: string; span_id: string } | undefined;
  /** Exports what is still queued (within the exporter's timeout) and stops. */
  shutdown(): Promise<void>;
}

/** Tracing off: no SDK loaded, every call runs its work and nothing else. */
export const disabledTracing: Tracing = {
  enabled: false,
  server: (_name, _traceparent, _attributes, run) => run({ parent: undefined }),
  client: (_scope, _name, _attributes, run) => run(undefined),
  delivery: (_message, deliver) => deliver({ sessions: 0, delivered: 0, buffered: 0, dropped: 0 }),
  historyRead: (_after, run) => run(),
  event() {},
  logFields: () => undefined,
  shutdown: async () => {},
};

