/** The first reconnect waits about this long; each further attempt doubles it up to {@link RECONNECT_MAX_MS}. */
export const RECONNECT_BASE_MS = 100;

/**
 * The longest wait between two connection attempts to Redis. It bounds how long after Redis comes
 * up a waiting node becomes ready: at most this plus one connection set-up.
 */
export const RECONNECT_MAX_MS = 2000;

/**
 * The delay before connection attempt `attempt` (1, 2, …): exponential from {@link RECONNECT_BASE_MS},
 * capped at {@link RECONNECT_MAX_MS}, with "equal jitter" (a uniformly random half of it added to the
 * other half), so nodes that lost Redis together do not reconnect in lockstep. The same strategy serves
 * ioredis' `retryStrategy`, `clusterRetryStrategy` and `sentinelRetryStrategy`: one behaviour in
 * every mode, never giving up (a node waits for Redis; STARTUP_TIMEOUT_MS bounds that at start).
 */
export function reconnectDelay(attempt: number): number {
  // A wrapper, not a default parameter: ioredis passes a second argument (the cluster's reason).
  return jitteredDelay(attempt, Math.random);
}

/** {@link reconnectDelay} with the random source given (`random()` in [0, 1)). */
export function jitteredDelay(attempt: number, random: () => number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 16);
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `attempt` until it resolves, waiting {@link reconnectDelay} between tries: for start-up steps
 * after the connection is ready (a subscribe, a first write) that may still fail while Redis settles.
 * @throws the first error `isFatal` accepts (retrying would not help), or the last one once `stopped()`.
 */
export async function persist<T>(
  attempt: () => Promise<T>,
  options: { readonly isFatal: (error: unknown) => boolean; readonly stopped: () => boolean },
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (options.isFatal(error) || options.stopped()) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, reconnectDelay(tries)));
  }
}
