/**
 * A push-to-pull bridge: the hub pushes, the transport pulls with `for await`. `return()` (the client
 * completed, the socket closed) ends the iterator at once and runs `onEnd` exactly once.
 */
export class SubscriptionQueue<T> implements AsyncIterableIterator<T> {
  readonly #buffer: T[] = [];
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #done = false;
  readonly #onEnd: () => void;

  constructor(onEnd: () => void) {
    this.#onEnd = onEnd;
  }

  /** Number of values pushed and not yet pulled. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Queues `value` for the consumer; ignored once the queue has ended. */
  push(value: T): void {
    if (this.#done) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ value, done: false });
    } else {
      this.#buffer.push(value);
    }
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.#buffer.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the queue: values still buffered are dropped, a waiting `next()` resolves done. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#buffer.length = 0;
    this.#waiting?.({ value: undefined, done: true });
    this.#waiting = undefined;
    this.#onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
