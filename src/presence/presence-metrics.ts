import { Counter, Gauge, type Registry } from 'prom-client';

/** What the presence gauges read at scrape time. */
export interface PresenceGauges {
  /** Users this node holds (with sessions here, or in their grace period). */
  users(): number;
  /** Live sessions on this node. */
  sessions(): number;
  /** presenceChanged subscriptions on this node. */
  watches(): number;
}

/**
 * Presence metrics, registered on the node's registry (`Metrics.registry`). Bounded labels only.
 * The counters are for the store; the gauges read the node-local core at scrape time.
 */
export class PresenceMetrics {
  readonly reaped: Counter;
  readonly syncs: Counter<'reason'>;

  constructor(registry: Registry, gauges: PresenceGauges) {
    const registers = [registry];
    this.reaped = new Counter({
      name: 'switchboard_presence_reaped_leases_total',
      help: 'Expired presence leases of other nodes this node reaped (each reap happens on exactly one node).',
      registers,
    });
    this.syncs = new Counter({
      name: 'switchboard_presence_syncs_total',
      help: "Times this node wrote its whole presence share: start, lease_lost (its lease had been reaped or Redis lost it), repair (after a failed write).",
      labelNames: ['reason'] as const,
      registers,
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('switchboard_presence_users_local', 'Users this node holds online (sessions here, or in the grace period).', gauges.users);
    gauge('switchboard_presence_sessions_local', 'Live graphql-ws sessions on this node that count for presence.', gauges.sessions);
    gauge('switchboard_presence_watches', 'presenceChanged subscriptions on this node.', gauges.watches);
  }
}
