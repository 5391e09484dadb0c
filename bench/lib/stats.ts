/** Latency summary in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles of `samples` (milliseconds); all zero when there are none. */
export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.length - 1] ?? 0 };
}

/**
 * Latency per second of sending: sample i (latency `latencies[i]`, sent at `sentAts[i]`) falls in
 * second ⌊(sentAts[i] − origin) / 1000⌋. Every second from 0 to the last one with a sample gets a
 * summary (a second without a sample gets count 0). Both arrays in ms, on one clock.
 */
export function summarizeBySecond(latencies: readonly number[], sentAts: readonly number[], origin: number): LatencySummary[] {
  const bins: number[][] = [];
  latencies.forEach((latency, i) => {
    const second = Math.max(0, Math.floor(((sentAts[i] ?? origin) - origin) / 1000));
    for (let b = bins.length; b <= second; b++) bins.push([]);
    bins[second]?.push(latency);
  });
  return bins.map(summarize);
}
