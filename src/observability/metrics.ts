import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why a message did not reach a client from the live path. Bounded label values only. */
type DropReason = 'not_local' | 'invalid_payload' | 'live_overflow';
/** Why a stream read history instead of (or before) going live. */
type BackfillReason = 'resume' | 'resync' | 'overflow';

/**
 * The node's Prometheus metrics (prom-client), in a registry of its own so several nodes can live in
 * one process (tests). Labels have bounded cardinality: never a user id.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly connectionsOpen = new Gauge({ name: 'switchboard_connections_open', help: 'Open graphql-ws connections (acknowledged).', registers: [this.registry] });
  readonly messagesSent = new Counter({
    name: 'switchboard_messages_sent_total',
    help: 'sendMessage calls by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly busReceived = new Counter({
    name: 'switchboard_bus_messages_received_total',
    help: 'Messages this node received from the bus (Redis deliveries to this node).',
    registers: [this.registry],
  });
  readonly delivered = new Counter({
    name: 'switchboard_messages_delivered_total',
    help: 'Messages emitted to client subscriptions (every transport).',
    registers: [this.registry],
  });
  readonly dropped = new Counter({
    name: 'switchboard_messages_dropped_total',
    help: 'Bus messages not delivered live, by reason (not_local: no subscription of the recipient here; live_overflow: a slow stream fell back to history, which still delivers it).',
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
    help: 'From sentAt to emission to a subscription, on this node.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
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

  /**
   * @param options.subscriptions reads the live subscription count at scrape time.
   * @param options.processMetrics also collect prom-client's process and event-loop metrics.
   */
  constructor(options: { subscriptions: () => number; processMetrics: boolean }) {
    new Gauge({
      name: 'switchboard_subscriptions_active',
      help: 'Live message subscriptions on this node (every transport).',
      registers: [this.registry],
      collect() {
        this.set(options.subscriptions());
      },
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }
}
