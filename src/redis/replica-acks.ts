import type { Redis } from 'ioredis';

/**
 * Confirms writes with Redis `WAIT`, sharing one WAIT among the sends that finish while it is out.
 *
 * WAIT covers every write its connection made before it. When a send's reply arrives, any WAIT still
 * outstanding on that connection was sent after the send (a WAIT blocks its connection, so a
 * command queued behind it is answered after it), hence it covers the send: joining it is enough.
 * So a burst of sends costs one WAIT round trip, not one each.
 */
export class ReplicaAcks {
  readonly #pending = new WeakMap<Redis, Promise<number>>();
  readonly #replicas: number;

  /** @param replicas how many replicas must confirm. */
  constructor(replicas: number) {
    this.#replicas = replicas;
  }

  /**
   * Resolves once `replicas` replicas of `connection`'s server have everything `connection` wrote so
   * far, within `timeoutMs`.
   * @throws {Error} when fewer confirmed in time (the write may still be on the primary).
   */
  async confirm(connection: Redis, timeoutMs: number): Promise<void> {
    let pending = this.#pending.get(connection);
    if (pending === undefined) {
      // WAIT 0 would block forever.
      pending = connection.wait(this.#replicas, Math.max(1, Math.floor(timeoutMs)));
      this.#pending.set(connection, pending);
      const settle = () => {
        if (this.#pending.get(connection) === pending) this.#pending.delete(connection);
      };
      pending.then(settle, settle);
    }
    const confirmed = await pending;
    if (confirmed < this.#replicas) {
      throw new Error(`${confirmed} of ${this.#replicas} replicas confirmed within ${timeoutMs} ms`);
    }
  }
}
