import type { Registry } from 'prom-client';

/** The node's counters as totals since it started, read from its metrics for the status heartbeat. */
export interface NodeFigures {
  /** sendMessage calls the bus acknowledged. */
  readonly sent: number;
  readonly delivered: number;
  /** Messages not delivered live: overflowed slow streams (then delivered from history) and invalid bus payloads. */
  readonly dropped: number;
  /** Live delivery latency as cumulative histogram buckets: upper bound (seconds) → count. */
  readonly latencyBuckets: ReadonlyArray<readonly [number, number]>;
  /** Resident set size from prom-client's process metrics, when collected (0 otherwise). */
  readonly rssBytes: number;
}

type Sample = { value: number; labels: Record<string, string | number | undefined>; metricName?: string };

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  return metric === undefined ? [] : ((await metric.get()).values as Sample[]);
}

const sum = (values: Sample[], keep: (sample: Sample) => boolean) => values.filter(keep).reduce((total, sample) => total + sample.value, 0);

/**
 * Reads the figures from `registry` (every 5 s, off the hot path: prom-client's `get` walks the
 * series). Counters never reset, so the heartbeat derives rates from the difference of two readings.
 */
export async function readNodeFigures(registry: Registry): Promise<NodeFigures> {
  const [sent, delivered, dropped, latency, rss] = await Promise.all([
    samples(registry, 'switchboard_messages_sent_total'),
    samples(registry, 'switchboard_messages_delivered_total'),
    samples(registry, 'switchboard_messages_dropped_total'),
    samples(registry, 'switchboard_delivery_latency_seconds'),
    samples(registry, 'process_resident_memory_bytes'),
  ]);
  const latencyBuckets = latency
    .filter((sample) => sample.metricName === 'switchboard_delivery_latency_seconds_bucket' && sample.labels['source'] === 'live')
    .map((sample): [number, number] => [sample.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels['le']), sample.value]);
  return {
    sent: sum(sent, (sample) => sample.labels['result'] === 'ok'),
    delivered: sum(delivered, () => true),
    dropped: sum(dropped, (sample) => sample.labels['reason'] !== 'not_local'),
    latencyBuckets,
    rssBytes: rss[0]?.value ?? 0,
  };
}
