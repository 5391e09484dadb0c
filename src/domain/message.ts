/**
 * A delivered message, as it travels on the bus and as resolvers return it.
 * `sentAt` is an RFC 3339 string so the value is identical on every node and in every runtime.
 */
export interface Message {
  readonly id: string;
  readonly fromUserId: string;
  readonly toUserId: string;
  readonly body: string;
  readonly sentAt: string;
  /**
   * The W3C `traceparent` of the send's span, only when that send was traced and sampled (then it
   * is in the stream entry and the published payload too; otherwise the message carries no extra
   * byte). Not a GraphQL field: clients never see it.
   */
  readonly traceparent?: string;
}

/** What became of one message in this node's sessions of its recipient (the delivery span's figures). */
export interface DeliveryTally {
  sessions: number;
  /** Handed to the session's sink at once. */
  delivered: number;
  /** Queued behind the session's earlier messages (a catch-up or a full socket). */
  buffered: number;
  /** Not delivered live: the session's buffer overflowed; it catches up from history. */
  dropped: number;
}

const encoder = new TextEncoder();

/** UTF-8 length of `text` in bytes. */
export function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

/**
 * Narrows an `unknown` (a decoded bus payload) to a {@link Message}, or returns `undefined`.
 * Bus payloads come from Redis, so they are validated like any other network input.
 */
export function asMessage(value: unknown): Message | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { id, fromUserId, toUserId, body, sentAt, traceparent } = record;
  if (
    typeof id !== 'string' ||
    typeof fromUserId !== 'string' ||
    typeof toUserId !== 'string' ||
    typeof body !== 'string' ||
    typeof sentAt !== 'string'
  ) {
    return undefined;
  }
  if (typeof traceparent === 'string' && TRACEPARENT.test(traceparent)) return { id, fromUserId, toUserId, body, sentAt, traceparent };
  return { id, fromUserId, toUserId, body, sentAt };
}

/** A W3C trace context `traceparent` of version 00 (lower-case hex, as the specification writes it). */
export const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/u;

/**
 * A `traceparent`'s ids as log fields (`trace_id`, `span_id`), for a line about the step that carries
 * it (a send that failed in Redis); nothing without one.
 */
export function traceFieldsOf(traceparent: string | undefined): { trace_id?: string; span_id?: string } {
  return traceparent === undefined ? {} : { trace_id: traceparent.slice(3, 35), span_id: traceparent.slice(36, 52) };
}
