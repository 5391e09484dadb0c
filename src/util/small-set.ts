/**
 * A set that holds a single member bare, and a `Set` only from the second member on. Most of the
 * node's per-user and per-socket sets hold one member (a user's one socket, a socket's one
 * subscription), and an empty `Set` alone costs about 300 bytes of heap (its hash table), ten times
 * this object. Members are compared by identity; iteration follows insertion order while there are
 * two or more, as `Set`'s does.
 */
export class SmallSet<T extends object> implements Iterable<T> {
  /** The member, while there is exactly one. */
  #only: T | undefined;
  /** Every member, while there are two or more. */
  #many: Set<T> | undefined;

  get size(): number {
    if (this.#many !== undefined) return this.#many.size;
    return this.#only === undefined ? 0 : 1;
  }

  has(member: T): boolean {
    return this.#many !== undefined ? this.#many.has(member) : this.#only === member;
  }

  add(member: T): this {
    if (this.#many !== undefined) {
      this.#many.add(member);
    } else if (this.#only === undefined) {
      this.#only = member;
    } else if (this.#only !== member) {
      this.#many = new Set([this.#only, member]);
      this.#only = undefined;
    }
    return this;
  }

  /** Removes `member`; false when it was not there. Back to one member, the `Set` is let go. */
  delete(member: T): boolean {
    const many = this.#many;
    if (many === undefined) {
      if (this.#only !== member) return false;
      this.#only = undefined;
      return true;
    }
    if (!many.delete(member)) return false;
    if (many.size === 1) {
      this.#only = many.values().next().value;
      this.#many = undefined;
    }
    return true;
  }

  [Symbol.iterator](): Iterator<T> {
    if (this.#many !== undefined) return this.#many.values();
    return (this.#only === undefined ? [] : [this.#only]).values();
  }
}
