/**
 * A small least-recently-used cache for yoga's parse cache: documents are attacker-chosen, so the
 * number kept is bounded. (yoga's default keeps 1024 documents for an hour, and with them their
 * validation results; a refused document's errors hold far more than its text — about 70 KB each
 * measured — so a flood of distinct bad documents held some 75 MiB in the heap.)
 */
export function boundedCache<T>(max: number): { get(key: string): T | undefined; set(key: string, value: T): void } {
  const entries = new Map<string, T>();
  return {
    get(key) {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
  };
}
