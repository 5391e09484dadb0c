/**
 * Bounds how many history reads a node has outstanding at Redis: past `concurrency`, reads wait here,
 * in arrival order. A reconnect storm makes every resuming client read its history at once; unbounded,
 * thousands of reads queue inside Redis ahead of the live users' sends (which then time out with
 * `UNAVAILABLE`) and of their deliveries. Bounded, at most `concurrency` reads are ahead of any send.
 */
export function createReadLimiter(concurrency: number): <T>(read: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  // A finished read hands its slot straight to the next waiting one, so a read arriving meanwhile
  // cannot take it too.
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) running -= 1;
    else next();
  };
  return async <T>(read: () => Promise<T>): Promise<T> => {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await read();
    } finally {
      release();
    }
  };
}
