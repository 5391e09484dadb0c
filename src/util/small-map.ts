/**
 * A map that holds a single entry bare, and a `Map` only from the second entry on: the map's
 * counterpart of `SmallSet` (small-set.ts), for a socket's operations (almost always one). Keys are
 * compared with `Object.is` (as `Map` does, but for 0 and -0); values are objects, so `undefined` always means "no entry".
 * Iteration follows insertion order, as `Map`'s does.
 */
export class SmallMap<K, V extends object> {
  /** The entry's key and value, while there is exactly one. */
  #onlyKey: K | undefined;
  #onlyValue: V | undefined;
  /** Every entry, while there are two or more. */
  #many: Map<K, V> | undefined;

  get size(): number {
    if (this.#many !== undefined) return this.#many.size;
    return this.#onlyValue === undefined ? 0 : 1;
  }

  get(key: K): V | undefined {
    if (this.#many !== undefined) return this.#many.get(key);
    return this.#onlyValue !== undefined && Object.is(this.#onlyKey, key) ? this.#onlyValue : undefined;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): this {
    if (this.#many !== undefined) {
      this.#many.set(key, value);
    } else if (this.#onlyValue === undefined || Object.is(this.#onlyKey, key)) {
      this.#onlyKey = key;
      this.#onlyValue = value;
    } else {
      this.#many = new Map([[this.#onlyKey as K, this.#onlyValue]]).set(key, value);
      this.#onlyKey = undefined;
      this.#onlyValue = undefined;
    }
    return this;
  }

  /** Removes `key`'s entry; false when there was none. Back to one entry, the `Map` is let go. */
  delete(key: K): boolean {
    const many = this.#many;
    if (many === undefined) {
      if (this.#onlyValue === undefined || !Object.is(this.#onlyKey, key)) return false;
      this.#onlyKey = undefined;
      this.#onlyValue = undefined;
      return true;
    }
    if (!many.delete(key)) return false;
    if (many.size === 1) {
      const [onlyKey, onlyValue] = many.entries().next().value as [K, V];
      this.#onlyKey = onlyKey;
      this.#onlyValue = onlyValue;
      this.#many = undefined;
    }
    return true;
  }

  clear(): void {
    this.#onlyKey = undefined;
    this.#onlyValue = undefined;
    this.#many = undefined;
  }

  /** The values, in insertion order. */
  values(): IterableIterator<V> {
    if (this.#many !== undefined) return this.#many.values();
    return (this.#onlyValue === undefined ? [] : [this.#onlyValue]).values();
  }
}
