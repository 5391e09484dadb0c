import { Counter, Gauge, type Registry } from 'prom-client';
import { AUTH_FAILURE_REASONS, type AuthFailureReason } from '../domain/auth-failure.ts';

/**
 * WebSocket close codes counted under their own value; any other is `other`. The standard ones a
 * server sees (RFC 6455), graphql-ws's, and switchboard's own (SECURITY.md).
 */
const KNOWN_CLOSE_CODES: readonly number[] = [
  1000, 1001, 1005, 1006, 1008, 1009, 1011, 1012, 1013, 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4500, 4601, 4602,
];

/**
 * Why the node refused a new connection: `handshakes` (ADMISSION_MAX_HANDSHAKES in flight, close
 * 1013), `event_loop_lag` (ADMISSION_MAX_LAG_MS, close 1013), `max_connections` (MAX_CONNECTIONS:
 * upgrade 503, SSE `UNAVAILABLE`), `user_connections` (MAX_CONNECTIONS_PER_USER: close 4602, SSE
 * `LIMIT_EXCEEDED`), `not_connected` (not connected to Redis yet: upgrade 503).
 */
const ADMISSION_REASONS = ['handshakes', 'event_loop_lag', 'max_connections', 'user_connections', 'not_connected'] as const;
export type AdmissionRefusalReason = (typeof ADMISSION_REASONS)[number];

/** Pre-bound children of `counter`, one per value of its one label, each created at 0. */
function children<V extends string | number>(counter: Counter<string>, label: string, values: readonly V[]): Map<V, Counter.Internal> {
  const map = new Map<V, Counter.Internal>();
  for (const value of values) {
    counter.inc({ [label]: String(value) }, 0);
    map.set(value, counter.labels(String(value)));
  }
  return map;
}

/**
 * Connection metrics: WebSocket closes by code, refused identities by reason, refused connections by
 * reason, and the HTTP subscription streams open. Every label value is from a fixed list (no user
 * ids, no free text), and every series exists from the start at 0.
 */
export class ConnectionMetrics {
  /** Subscriptions served over an HTTP stream (GraphQL over SSE, or multipart) on this node. */
  readonly streamsOpen: Gauge;
  readonly #closes: Map<number, Counter.Internal>;
  readonly #otherClose: Counter.Internal;
  readonly #auth: Map<AuthFailureReason, Counter.Internal>;
  readonly #admission: Map<AdmissionRefusalReason, Counter.Internal>;

  constructor(registry: Registry) {
    const registers = [registry];
    const closes = new Counter({
      name: 'switchboard_websocket_closes_total',
      help: `WebSocket connections that ended, by close code as the socket reported it (the peer's echo of the node's code, the peer's own code, 1006 for a connection lost without a close frame); codes other than ${KNOWN_CLOSE_CODES.join(', ')} count as "other".`,
      labelNames: ['code'] as const,
      registers,
    });
    this.#closes = children(closes, 'code', KNOWN_CLOSE_CODES);
    this.#otherClose = children(closes, 'code', ['other']).get('other') as Counter.Internal;
    const auth = new Counter({
      name: 'switchboard_auth_failures_total',
      help: 'Identities refused, by reason: a bearer token that failed verification (HTTP, SSE, graphql-ws connection_init), or a graphql-ws connection_init without one (missing). HTTP requests without a token are anonymous, not failures.',
      labelNames: ['reason'] as const,
      registers,
    });
    this.#auth = children(auth, 'reason', AUTH_FAILURE_REASONS);
    const admission = new Counter({
      name: 'switchboard_admission_refusals_total',
      help: 'New connections this node refused, by reason: handshakes and event_loop_lag (admission control, close 1013), max_connections (MAX_CONNECTIONS), user_connections (MAX_CONNECTIONS_PER_USER), not_connected (Redis not reached yet).',
      labelNames: ['reason'] as const,
      registers,
    });
    this.#admission = children(admission, 'reason', ADMISSION_REASONS);
    this.streamsOpen = new Gauge({
      name: 'switchboard_sse_streams_open',
      help: 'Subscriptions served over an HTTP stream (GraphQL over SSE, or multipart) on this node, each a connection of its own.',
      registers,
    });
  }

  /** A WebSocket ended with `code`. */
  closed(code: number): void {
    (this.#closes.get(code) ?? this.#otherClose).inc();
  }

  /** An identity was refused for `reason`. */
  authFailed(reason: AuthFailureReason): void {
    this.#auth.get(reason)?.inc();
  }

  /** A new connection was refused for `reason`. */
  refused(reason: AdmissionRefusalReason): void {
    this.#admission.get(reason)?.inc();
  }
}
