/**
 * Coalesces calls into batches: the first item goes out at once (after the current microtask, so a
 * synchronous burst shares it); items that arrive while a batch is in flight wait and go out together
 * in the next one, at most `maxBatch` per call. So a burst of N costs about N / (items per round trip)
 * round trips instead of N, and a lone item waits for nothing. Batches run one at a time, in order.
 *
 * `run` answers one result per item, in order; when it rejects, every item of that batch rejects
 * with its error.
 */
export function createBatcher<T, R>(run: (items: readonly T[]) => Promise<readonly R[]>, maxBatch = 1000): (item: T) => Promise<R> {
  let queue: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  let running = false;
  const pump = async () => {
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = batch === queue ? [] : queue.slice(maxBatch);
      try {
        const results = await run(batch.map((entry) => entry.item));
        batch.forEach((entry, i) => entry.resolve(results[i] as R));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    running = false;
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (running) return;
      running = true;
      queueMicrotask(() => void pump());
    });
}
