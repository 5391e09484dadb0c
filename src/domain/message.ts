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
  const { id, fromUserId, toUserId, body, sentAt } = record;
  if (
    typeof id !== 'string' ||
    typeof fromUserId !== 'string' ||
    typeof toUserId !== 'string' ||
    typeof body !== 'string' ||
    typeof sentAt !== 'string'
  ) {
    return undefined;
  }
  return { id, fromUserId, toUserId, body, sentAt };
}
