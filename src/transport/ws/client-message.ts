/** The messages a graphql-transport-ws client sends (graphql-ws's PROTOCOL.md), and their validation. */

/** A `subscribe` message's payload, as the protocol allows it. */
export interface SubscribePayload {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
  readonly extensions?: Record<string, unknown> | null;
}

export type ClientMessage =
  | { readonly type: 'connection_init' | 'ping' | 'pong'; readonly payload?: Record<string, unknown> | null }
  | { readonly type: 'subscribe'; readonly id: string; readonly payload: SubscribePayload }
  | { readonly type: 'complete'; readonly id: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A frame as a message a client may send, or a throw: not JSON, not an object with a string `type`,
 * a type only a server sends (`connection_ack`, `next`, `error`), an unknown type, or fields of the
 * wrong shape — graphql-ws's message validation, for the client's messages.
 */
export function parseClientMessage(data: string): ClientMessage {
  const message: unknown = JSON.parse(data);
  if (!isObject(message) || typeof message['type'] !== 'string') throw new Error('not a message');
  const { type, id, payload } = message;
  switch (type) {
    case 'connection_init':
    case 'ping':
    case 'pong':
      if (payload != null && !isObject(payload)) throw new Error(`"${type}" expects an object payload`);
      return message as ClientMessage;
    case 'subscribe':
      if (typeof id !== 'string' || id === '' || !isObject(payload) || typeof payload['query'] !== 'string') throw new Error('bad subscribe');
      if (payload['variables'] != null && !isObject(payload['variables'])) throw new Error('bad variables');
      if (payload['operationName'] != null && typeof payload['operationName'] !== 'string') throw new Error('bad operationName');
      if (payload['extensions'] != null && !isObject(payload['extensions'])) throw new Error('bad extensions');
      return message as ClientMessage;
    case 'complete':
      if (typeof id !== 'string' || id === '') throw new Error('bad complete');
      return message as ClientMessage;
    default:
      throw new Error(`"${type}" is not a message a client sends`);
  }
}
