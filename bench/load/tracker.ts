import type { PhaseResult } from '../lib/ipc.ts';

const DELIVERED = 1;
const FAILED = 2;

/**
 * Accounting of one phase in one load process: what was issued, accepted, received (once, by the
 * right user), and how long each delivery took. `onChange` runs whenever a message settles
 * (received, or its send failed), so a runner can send the next one.
 */
export class PhaseTracker {
  issued = 0;
  sent = 0;
  sendErrors = 0;
  firstSendError: string | undefined;
  delivered = 0;
  duplicates = 0;
  misrouted = 0;
  maxLagMs = 0;
  firstSendAt = Number.NaN;
  lastSendAt = Number.NaN;
  lastReceiptAt = Number.NaN;
  onChange: () => void = () => {};
  readonly latencies: number[] = [];
  /** Send time of each delivered message, in the order of `latencies`. */
  readonly sentAts: number[] = [];
  #settled = 0;
  readonly #recipient: Int32Array;
  readonly #state: Uint8Array;

  constructor(
    readonly tag: string,
    readonly capacity: number,
  ) {
    this.#recipient = new Int32Array(capacity);
    this.#state = new Uint8Array(capacity);
  }

  /** Issued and neither received nor failed. */
  get outstanding(): number {
    return this.issued - this.#settled;
  }

  /** Every message is settled and every send has its response (a delivery can beat its response). */
  get complete(): boolean {
    return this.#settled === this.issued && this.sent + this.sendErrors === this.issued;
  }

  /** Whether message `seq` was received. */
  isDelivered(seq: number): boolean {
    return ((this.#state[seq] ?? 0) & DELIVERED) !== 0;
  }

  /** Records a new message to local user `recipient`; returns its sequence number. */
  issue(recipient: number, now: number): number {
    const seq = this.issued++;
    this.#recipient[seq] = recipient;
    if (seq === 0) this.firstSendAt = now;
    this.lastSendAt = now;
    return seq;
  }

  /** The send's outcome: `undefined` when the server accepted it, else why not. */
  sendDone(seq: number, error: string | undefined): void {
    if (error === undefined) {
      this.sent += 1;
    } else {
      this.sendErrors += 1;
      this.firstSendError ??= error;
      const state = this.#state[seq] ?? 0;
      this.#state[seq] = state | FAILED;
      if (state === 0) this.#settled += 1;
    }
    this.onChange();
  }

  /** Local user `recipient` received message `seq`, sent at `sentAt`, at `now`. */
  receive(seq: number, recipient: number, sentAt: number, now: number): void {
    if (seq >= this.issued || this.#recipient[seq] !== recipient) {
      this.misrouted += 1;
      return;
    }
    const state = this.#state[seq] ?? 0;
    if ((state & DELIVERED) !== 0) {
      this.duplicates += 1;
      return;
    }
    this.#state[seq] = state | DELIVERED;
    this.delivered += 1;
    this.latencies.push(now - sentAt);
    this.sentAts.push(sentAt);
    this.lastReceiptAt = now;
    if (state === 0) this.#settled += 1;
    this.onChange();
  }

  /** The phase's result; `toEpoch` turns `performance.now()` values into epoch milliseconds. */
  result(drained: boolean, toEpoch: (t: number) => number): PhaseResult {
    return {
      tag: this.tag,
      issued: this.issued,
      sent: this.sent,
      sendErrors: this.sendErrors,
      firstSendError: this.firstSendError,
      delivered: this.delivered,
      duplicates: this.duplicates,
      misrouted: this.misrouted,
      latenciesMs: this.latencies.map((ms) => Math.round(ms * 1000) / 1000),
      sentAtMs: this.sentAts.map((t) => Math.round(toEpoch(t) * 10) / 10),
      firstSendAt: toEpoch(this.firstSendAt),
      lastSendAt: toEpoch(this.lastSendAt),
      lastReceiptAt: toEpoch(this.lastReceiptAt),
      drained,
      maxLagMs: Math.round(this.maxLagMs * 1000) / 1000,
    };
  }
}
