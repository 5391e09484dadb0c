import type { NodeFigures } from '../observability/node-figures.ts';

/** What happened between two readings of the node's figures, `seconds` apart. */
export interface IntervalFigures {
  readonly sentPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly droppedPerSecond: number;
  /** Live delivery latency quantiles over the interval, ms; `null` when nothing was delivered in it. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

const rate = (now: number, before: number, seconds: number) => Math.max(0, now - before) / seconds;
const round = (value: number) => Math.round(value * 100) / 100;

/**
 * The quantile `q` of the observations added between two cumulative bucket readings, interpolated
 * linearly inside its bucket (as PromQL's histogram_quantile does); `null` when none were added. An
 * observation past the last finite bucket reads as that bucket's bound.
 */
export function intervalQuantile(
  now: ReadonlyArray<readonly [number, number]>,
  before: ReadonlyArray<readonly [number, number]>,
  q: number,
): number | null {
  const added = now.map(([bound, count], index) => [bound, count - (before[index]?.[1] ?? 0)] as const);
  const total = added.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of added) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? bound : lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

/** Rates and latency between `before` and `now`, taken `seconds` apart (`before` undefined: since start, all zero). */
export function intervalFigures(now: NodeFigures, before: NodeFigures | undefined, seconds: number): IntervalFigures {
  if (before === undefined || seconds <= 0) {
    return { sentPerSecond: 0, deliveredPerSecond: 0, droppedPerSecond: 0, p50Ms: null, p99Ms: null };
  }
  const quantileMs = (q: number) => {
    const seconds = intervalQuantile(now.latencyBuckets, before.latencyBuckets, q);
    return seconds === null ? null : round(seconds * 1000);
  };
  return {
    sentPerSecond: round(rate(now.sent, before.sent, seconds)),
    deliveredPerSecond: round(rate(now.delivered, before.delivered, seconds)),
    droppedPerSecond: round(rate(now.dropped, before.dropped, seconds)),
    p50Ms: quantileMs(0.5),
    p99Ms: quantileMs(0.99),
  };
}
