import { SmallSet } from '../util/small-set.ts';
import type { MessageStream, StreamBacklog } from './message-stream.ts';

/** The connection a {@link Backlog} is for (an object the transport keeps anyway, not two closures). */
export interface BacklogOwner {
  /** The transport's own unsent bytes (`socket.bufferedAmount`; 0 for SSE). */
  readonly bufferedAmount: number;
  /** Closes the connection; the backlog's {@link Backlog.streams} are still attached when it runs. */
  slowConsumer(unsentBytes: number): void;
}

/**
 * The slow-consumer rule for one connection (a graphql-ws socket or one SSE request). Its *unsent
 * bytes* are the socket's `bufferedAmount` (bytes handed to the socket and not yet written to the
 * network) plus, for each of its subscriptions, the estimated frame bytes of the messages that reached
 * the node for it and were not yet handed to the socket — buffered live or dropped on overflow and
 * owed from history. Once they exceed `limitBytes`, the owner's `slowConsumer` runs, once. It is
 * checked whenever a message arrives for the connection and whenever a frame is about to be sent.
 */
export class Backlog implements StreamBacklog {
  #owed = 0;
  #exceeded = false;
  readonly #streams = new SmallSet<MessageStream>();
  readonly #limitBytes: number;
  readonly #owner: BacklogOwner;

  constructor(options: { limitBytes: number; owner: BacklogOwner }) {
    this.#limitBytes = options.limitBytes;
    this.#owner = options.owner;
  }

  /** The connection's unsent bytes now. */
  get unsentBytes(): number {
    return this.#owed + this.#owner.bufferedAmount;
  }

  /** The connection's live message streams. */
  get streams(): Iterable<MessageStream> {
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

  /** Runs the owner's `slowConsumer` (once) when the unsent bytes are over the limit. */
  check(): void {
    if (this.#exceeded) return;
    const unsent = this.unsentBytes;
    if (unsent <= this.#limitBytes) return;
    this.#exceeded = true;
    this.#owner.slowConsumer(unsent);
  }
}
