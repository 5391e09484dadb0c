import type { Admission } from '../limits/admission.ts';
import type { SecurityConfig } from '../limits/config.ts';
import type { ConnectionLimits, ConnectionSlot } from '../limits/connection-limits.ts';
import type { ConnectionMetrics } from '../observability/connection-metrics.ts';
import { originAllowed, originRefusal } from '../transport/http/http-guard.ts';
import { frameRefusal } from '../transport/ws/frame-guard.ts';

/**
 * The socket rules a runtime applies where only it can: at the upgrade and on raw frames.
 * @public (part of `App`, create-app.ts)
 */
export interface SocketGate {
  /** Largest frame in bytes (ws `maxPayload` on Node; checked by {@link frameRefusal} on Deno). */
  readonly maxPayloadBytes: number;
  /** Why an upgrade from `origin` must be refused (403 origin, 503 node full), or `undefined`. */
  refusal(origin: string | null | undefined): { status: number; message: string } | undefined;
  /**
   * Counts an accepted socket against MAX_CONNECTIONS; tell the returned object when it closes, with
   * the close code (`switchboard_websocket_closes_total`).
   */
  opened(): CountedSocket;
  /**
   * Admission control (src/limits/admission.ts; ADMISSION_* variables). Called once a socket has
   * opened, before any frame. When it returns a refusal — `{ code: 1013, reason: 'Try again later:
   * retry in <ms> ms' }`, the node has too many handshakes in flight or its event loop lags — the
   * runtime closes the socket with it and hands it to the protocol server not at all. When it returns
   * `undefined` the socket is admitted and counts as a handshake in flight until {@link settled}.
   * Never throws.
   */
  admit(): { code: number; reason: string } | undefined;
  /**
   * An admitted socket's handshake ended: the runtime calls it exactly once per socket `admit` let in,
   * when the node sent `connection_ack` or when the socket closed, whichever came first.
   */
  settled(): void;
  /** Why a frame must not reach the protocol server (binary 4400, too big 1009), or `undefined`. */
  frameRefusal(data: unknown): { code: number; reason: string } | undefined;
  /** Logs a socket's internal fault (a socket rule threw, the socket failed); the runtime closes it with 4500. */
  internalError(error: unknown): void;
}

/** An accepted WebSocket as MAX_CONNECTIONS and the close metrics count it ({@link SocketGate.opened}). */
export interface CountedSocket {
  /** The socket closed with `code`: uncounts it and counts the close (`switchboard_websocket_closes_total`). Once. */
  closed(code: number): void;
}

/** The socket gate of one node. */
export function createSocketGate(options: {
  readonly security: SecurityConfig;
  readonly metrics: ConnectionMetrics;
  readonly limits: ConnectionLimits;
  readonly admission: Admission;
  /** Whether the node is connected (bus and presence started): until then upgrades are refused. */
  readonly connected: () => boolean;
  readonly internalError: (error: unknown) => void;
}): SocketGate {
  const { security, metrics, limits, admission } = options;
  return {
    maxPayloadBytes: security.maxPayloadBytes,
    refusal(origin) {
      if (!originAllowed(origin, security.allowedOrigins)) return originRefusal(origin ?? '');
      if (!options.connected()) {
        metrics.refused('not_connected');
        return { status: 503, message: 'Cannot accept connection: this node is not connected to Redis yet: retry shortly' };
      }
      if (!limits.hasRoom()) {
        metrics.refused('max_connections');
        return { status: 503, message: `Cannot accept connection: this node holds its maximum of ${limits.maxConnections} connections` };
      }
      return undefined;
    },
    opened: () => new SlotSocket(limits.openConnection(), metrics),
    admit() {
      const refusal = admission.admit();
      if (refusal !== undefined) metrics.refused(refusal.cause);
      return refusal;
    },
    settled: () => admission.settle(),
    frameRefusal: (data) => frameRefusal(data, security.maxPayloadBytes),
    internalError: options.internalError,
  };
}

/** A {@link CountedSocket} as an object rather than a closure: every socket keeps one for its whole life. */
class SlotSocket implements CountedSocket {
  readonly #slot: ConnectionSlot;
  readonly #metrics: ConnectionMetrics;
  #closed = false;

  constructor(slot: ConnectionSlot, metrics: ConnectionMetrics) {
    this.#slot = slot;
    this.#metrics = metrics;
  }

  closed(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slot.release();
    this.#metrics.closed(code);
  }
}
