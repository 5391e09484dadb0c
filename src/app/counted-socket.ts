import type { ConnectionSlot } from '../limits/connection-limits.ts';
import type { ConnectionMetrics } from '../observability/connection-metrics.ts';

/** An accepted WebSocket as MAX_CONNECTIONS and the close metrics count it (`SocketGate.opened`). */
export interface CountedSocket {
  /** The socket closed with `code`: uncounts it and counts the close (`switchboard_websocket_closes_total`). Once. */
  closed(code: number): void;
}

/** A {@link CountedSocket} as an object rather than a closure: every socket keeps one for its whole life. */
export class SlotSocket implements CountedSocket {
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
