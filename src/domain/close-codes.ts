/**
 * WebSocket close codes of switchboard's own, next to those graphql-ws uses (4400, 4401, 4403, 4406,
 * 4408, 4409, 4429, 4500, 4004, 4005, 4504) and the standard ones (1001 going away, 1009 too big).
 * Clients retry with backoff on both of ours (graphql-ws's client does by default) and resume with
 * `after`. Documented in SECURITY.md.
 */
export const CloseCode = {
  /** The socket's unsent bytes exceeded SLOW_CONSUMER_BYTES. */
  SlowConsumer: 4601,
  /** The user already holds MAX_CONNECTIONS_PER_USER connections. */
  TooManyUserConnections: 4602,
  /**
   * An administrator closed every session of the user (`POST /admin/api/users/{id}/disconnect`):
   * do not reconnect with the same token (@switchboard/client asks `getToken` for a new one first).
   */
  DisconnectedByAdmin: 4604,
  /** A frame larger than MAX_PAYLOAD_BYTES (the standard "message too big"). */
  MessageTooBig: 1009,
  /** graphql-ws's code for a frame it cannot accept; also ours for binary frames. */
  BadRequest: 4400,
  /** graphql-ws's code for refused identity; also ours when the token expires on an open socket. */
  Forbidden: 4403,
} as const;
