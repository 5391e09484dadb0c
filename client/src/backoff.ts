/** Bounds of the reconnect and retry delays. */
export interface BackoffOptions {
  /** The first retry waits up to this long. Default 500 ms. */
  readonly initialMs?: number;
  /** No retry waits longer. Default 30,000 ms. */
  readonly maxMs?: number;
  /** Randomness in [0, 1); injectable for tests. Default `Math.random`. */
  readonly random?: () => number;
}

/** {@link BackoffOptions} with every default filled in. */
export type Backoff = Required<BackoffOptions>;

/** Fills in the defaults. @throws RangeError when `initialMs` is not positive or `maxMs` is below it. */
export function backoffWith(options: BackoffOptions = {}): Backoff {
  const backoff: Backoff = { initialMs: 500, maxMs: 30_000, random: Math.random, ...options };
  if (!(backoff.initialMs > 0)) throw new RangeError(`Cannot use backoff: 'initialMs' must be positive: current value ${backoff.initialMs}`);
  if (!(backoff.maxMs >= backoff.initialMs)) {
    throw new RangeError(`Cannot use backoff: 'maxMs' must be at least 'initialMs' (${backoff.initialMs}): current value ${backoff.maxMs}`);
  }
  return backoff;
}

/**
 * "Full jitter" (AWS architecture blog, "Exponential Backoff And Jitter"): a uniformly random delay
 * between 0 and `min(maxMs, initialMs · 2^attempt)`. Spreading reconnects over the whole window is
 * what keeps a crowd of clients that lost the same node from arriving at the next one at once.
 * `attempt` counts from 0.
 */
export function fullJitter(backoff: Backoff, attempt: number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(backoff.random() * ceiling);
}
