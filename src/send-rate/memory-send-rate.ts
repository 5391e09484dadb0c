import type { BucketOptions, SendRateLimiter } from './send-rate.ts';

/** Buckets kept before full ones are swept (a full bucket is the same as no bucket). */
const SWEEP_AT = 10_000;

/** The single-node limiter: buckets in a map, refilled lazily from the injected clock. */
export function createMemorySendRate(options: BucketOptions, now: () => number = Date.now): SendRateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (bucket: { tokens: number; at: number }, at: number) =>
    Math.min(options.burst, bucket.tokens + ((at - bucket.at) / 1000) * options.perSecond);
  return {
    async take(userId) {
      const at = now();
      if (buckets.size >= SWEEP_AT) {
        for (const [id, bucket] of buckets) if (refill(bucket, at) >= options.burst) buckets.delete(id);
      }
      const bucket = buckets.get(userId);
      const tokens = bucket === undefined ? options.burst : refill(bucket, at);
      if (tokens < 1) return Math.ceil(((1 - tokens) / options.perSecond) * 1000);
      buckets.set(userId, { tokens: tokens - 1, at });
      return undefined;
    },
    async close() {
      buckets.clear();
    },
  };
}
