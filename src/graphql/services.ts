import type { Bus } from '../bus/bus.ts';
import type { Hub } from '../engine/hub.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SendRateLimiter } from '../send-rate/send-rate.ts';
import type { PresencePolicy } from '../presence/policy.ts';
import type { Presence } from '../presence/presence.ts';
import type { Tracing } from '../tracing/tracing.ts';

/** The long-lived parts resolvers and transports share; built once per node by `createApp`. */
export interface Services {
  readonly nodeId: string;
  readonly bus: Bus;
  readonly hub: Hub;
  readonly maxMessageBytes: number;
  /** The clock, injected so tests can pin `sentAt`. Epoch milliseconds. */
  readonly now: () => number;
  readonly metrics: Metrics;
  /** The sendMessage rate limit (per user; cluster-wide with Redis). */
  readonly sendRate: SendRateLimiter;
  /** Who is online, cluster-wide (docs/PRESENCE.md). */
  readonly presence: Presence;
  /** Who may see whose presence; default: any authenticated user. */
  readonly presencePolicy: PresencePolicy;
  /** OpenTelemetry spans of sends, deliveries and history reads (docs/OPERATIONS.md "Tracing a message"). */
  readonly tracing: Tracing;
}
