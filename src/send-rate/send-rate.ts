/**
 * The `sendMessage` rate limit: a token bucket per sender. Each user may send `burst` messages at
 * once and `perSecond` on average. Implementations: in memory (one node) and in Redis (the whole
 * cluster shares one bucket per user; `redis-send-rate.ts`); `memory-send-rate.ts` for one node.
 */
export interface SendRateLimiter {
  /**
   * Takes one token from `userId`'s bucket. Resolves `undefined` when the send may go ahead, or the
   * milliseconds until a token is available when it may not.
   */
  take(userId: string): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface BucketOptions {
  readonly perSecond: number;
  readonly burst: number;
}

/** A limiter that never refuses (`SEND_RATE_PER_SECOND=0`). */
export const unlimited: SendRateLimiter = {
  take: async () => undefined,
  close: async () => {},
};
