import type { MessageStream, StreamBacklog } from './message-stream.ts';

/**
 * The slow-consumer rule for one connection (a graphql-ws socket or one SSE request). Its *unsent
 * bytes* are the socket's `bufferedAmount` (bytes handed to the socket and not yet written to the
 * network) plus, for each of its subscriptions, the estimated frame bytes of the messages that reached
 * the node for it and were not yet handed to the socket — buffered live or dropped on overflow and
 * owed from history. Once they exceed `limitBytes`, `onExceeded` runs, once. It is checked whenever a
 * message arrives for the connection and whenever a frame is about to be sent.
 */
export class Backlog implements StreamBacklog {
  #owed = 0;
  #exceeded = false;
  readonly #streams = new Set<MessageStream>();
  readonly #limitBytes: number;
  readonly #buffered: () => number;
  readonly #onExceeded: (unsentBytes: number) => void;

  /**
   * @param buffered the transport's own unsent bytes (`socket.bufferedAmount`; 0 for SSE).
   * @param onExceeded closes the connection; {@link streams} are still attached when it runs.
   */
  constructor(options: { limitBytes: number; buffered: () => number; onExceeded: (unsentBytes: number) => void }) {
    this.#limitBytes = options.limitBytes;
    this.#buffered = options.buffered;
    this.#onExceeded = options.onExceeded;
  }

  /** The connection's unsent bytes now. */
  get unsentBytes(): number {
    return this.#owed + this.#buffered();
  }

  /** The connection's live message streams. */
  get streams(): ReadonlySet<MessageStream> {
    return this.#streams;
  }

  add(bytes: number): void {
    this.#owed += bytes;
    if (bytes > 0) this.check();
  }

  attach(stream: MessageStream): void {
    this.#streams.add(stream);
  }

  detach(stream: MessageStream): void {
    this.#streams.delete(stream);
  }

  /** Runs `onExceeded` (once) when the unsent bytes are over the limit. */
  check(): void {
    if (this.#exceeded) return;
    const unsent = this.unsentBytes;
    if (unsent <= this.#limitBytes) return;
    this.#exceeded = true;
    this.#onExceeded(unsent);
  }
}
