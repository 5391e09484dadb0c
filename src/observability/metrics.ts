import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConnectionMetrics } from './connection-metrics.ts';
import { OutcomeDurations } from './outcome-durations.ts';
import { SendMetrics } from './send-metrics.ts';
import { VERSION } from './version.generated.ts';

/** How a history read (`Bus.read`) ended. */
export type HistoryReadOutcome = 'ok' | 'cursor_expired' | 'unavailable' | 'error';

/** Latency buckets, seconds: milliseconds on an idle node up to a backlog of seconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the node's gauges read at scrape time. */
export interface MetricsOptions {
  /** Live message subscriptions on this node. */
  subscriptions(): number;
  /** What `/ready` answers: started, connected, not draining. */
  ready(): boolean;
  /** Whether the node's Redis link is connected; absent for the embedded bus (no gauge then). */
  redisConnected?: (() => boolean) | undefined;
  /** Also collect prom-client's process and event-loop metrics. */
  readonly processMetrics: boolean;
}

/** A gauge whose value is read when Prometheus scrapes. */
function readGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/**
 * The node's Prometheus metrics (prom-client), in a registry of its own so several nodes can live in
 * one process (tests). Labels have bounded cardinality: never a user id; every label value comes
 * from a fixed list. Counters only grow while the process lives. README "Operating" lists them all.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly connectionsOpen = new Gauge({ name: 'switchboard_connections_open', help: 'Open graphql-ws connections (acknowledged).', registers: [this.registry] });
  readonly busReceived = new Counter({
    name: 'switchboard_bus_messages_received_total',
    help: 'Messages this node received from the bus (Redis deliveries to this node).',
    registers: [this.registry],
  });
  readonly busLag = new Histogram({
    name: 'switchboard_bus_receive_lag_seconds',
    help: "From a message's sentAt, stamped by the sending node's clock when its resolver handled sendMessage (before Redis), to this node receiving it from the bus: the send script, Redis pub/sub and this node's queue, plus any clock difference between the two nodes. Counted on every node that receives the message.",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly delivered = new Counter({
    name: 'switchboard_messages_delivered_total',
    help: 'Messages emitted to client subscriptions (every transport).',
    registers: [this.registry],
  });
  readonly dropped = new Counter({
    name: 'switchboard_messages_dropped_total',
    help: 'Bus messages not delivered live, by reason (not_local: no subscription of the recipient here; invalid_payload: not a message; live_overflow: a slow stream fell back to history, which still delivers it).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly backfills = new Counter({
    name: 'switchboard_backfills_total',
    help: 'Streams that read history: resume (messageReceived(after)), resync (bus reconnected), overflow (slow consumer).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'switchboard_delivery_latency_seconds',
    help: "From a message's sentAt to its emission to a subscription on this node, by source: live (it came from the bus while the subscription was live) or history (read back while catching up: after 'after', a resync or an overflow, so its age counts).",
    labelNames: ['source'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly redisErrors = new Counter({
    name: 'switchboard_redis_errors_total',
    help: 'Redis connection errors by connection role.',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });
  /** Sends Redis did not take, by failure class (`RedisFaultClass`: unreachable, timeout, oom, readonly, noperm, …). */
  readonly sendFailures = new Counter({
    name: 'switchboard_send_failures_total',
    help: 'sendMessage calls that failed in Redis (UNAVAILABLE), by Redis failure class.',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });
  readonly redisReconnects = new Counter({
    name: 'switchboard_redis_reconnects_total',
    help: 'Redis connections that became ready again after a loss, by role.',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });
  /** The delivery path's series, bound once: the hub counts every message with no label object. */
  readonly delivery = {
    busReceived: this.busReceived,
    busLag: this.busLag,
    delivered: this.delivered,
    liveLatency: this.latency.labels('live'),
    historyLatency: this.latency.labels('history'),
    notLocal: this.dropped.labels('not_local'),
    overflowDropped: this.dropped.labels('live_overflow'),
    overflowBackfills: this.backfills.labels('overflow'),
    resumeBackfills: this.backfills.labels('resume'),
    resyncBackfills: this.backfills.labels('resync'),
  };
  /** sendMessage outcomes and durations. */
  readonly sends = new SendMetrics(this.registry);
  /** WebSocket closes, refused identities, refused connections, SSE streams. */
  readonly connections = new ConnectionMetrics(this.registry);
  readonly historyReads = new OutcomeDurations<HistoryReadOutcome>({
    registry: this.registry,
    name: 'switchboard_history_read_duration_seconds',
    help: 'History reads (Bus.read: the messages query, and streams catching up after a cursor) by outcome, including the time a read waits in the node for a free slot of the pipelined reads.',
    outcomes: ['ok', 'cursor_expired', 'unavailable', 'error'],
    buckets: LATENCY_BUCKETS,
  });

  constructor(options: MetricsOptions) {
    const { registry } = this;
    new Gauge({
      name: 'switchboard_build_info',
      help: 'Always 1; its labels say which switchboard version (package.json) runs on which runtime (node or deno).',
      labelNames: ['version', 'runtime'] as const,
      registers: [registry],
    }).set({ version: VERSION, runtime: 'Deno' in globalThis ? 'deno' : 'node' }, 1);
    // Every series of a fixed label value exists from the start, so rates and ratios have data at 0.
    for (const source of ['live', 'history']) this.latency.zero({ source });
    for (const reason of ['not_local', 'invalid_payload', 'live_overflow']) this.dropped.inc({ reason }, 0);
    for (const reason of ['resume', 'resync', 'overflow']) this.backfills.inc({ reason }, 0);
    readGauge(registry, 'switchboard_subscriptions_active', 'Live message subscriptions on this node (every transport).', options.subscriptions);
    readGauge(registry, 'switchboard_ready', '1 while GET /ready answers 200 (started, connected to Redis, not draining), else 0.', () => (options.ready() ? 1 : 0));
    const { redisConnected } = options;
    if (redisConnected !== undefined) {
      for (const role of ['publisher', 'subscriber']) {
        this.redisErrors.inc({ role }, 0);
        this.redisReconnects.inc({ role }, 0);
      }
      readGauge(registry, 'switchboard_redis_connected', "1 while the node's Redis link is connected (commands and pub/sub), else 0. Absent with the embedded bus.", () =>
        redisConnected() ? 1 : 0,
      );
    }
    if (options.processMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  }
}
