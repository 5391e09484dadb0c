/**
 * One node's heartbeat, as every node publishes it (at most every `heartbeatMs`, default 5 s) and
 * as `GET /admin/api/nodes` lists it. Counts are this node's; rates are per second over the last
 * heartbeat interval; latency is over the same interval (`null` when nothing was delivered in it).
 */
export interface NodeStatus {
  readonly id: string;
  readonly version: string;
  readonly runtime: 'node' | 'deno';
  readonly runtimeVersion: string;
  /** ISO time the node started. */
  readonly startedAt: string;
  /** ISO time of this heartbeat (the node's clock). */
  readonly lastSeenAt: string;
  readonly uptimeSeconds: number;
  /** Open graphql-ws connections (acknowledged). */
  readonly connections: number;
  /** Distinct users with a connection or an SSE stream here. */
  readonly users: number;
  /** Live message subscriptions (every transport). */
  readonly subscriptions: number;
  readonly sseStreams: number;
  readonly ready: boolean;
  readonly draining: boolean;
  readonly admission: { readonly handshakesInFlight: number; readonly shedding: boolean };
  readonly messages: { readonly sentPerSecond: number; readonly deliveredPerSecond: number; readonly droppedPerSecond: number };
  readonly deliveryLatencyMs: { readonly p50: number | null; readonly p99: number | null };
  /** Resident set size; 0 where the runtime does not say (Deno without read permission). */
  readonly rssBytes: number;
  /** Event-loop delay: p99 over the heartbeat interval where the host measures it (Node), else the heartbeat timer's own lateness (Deno). */
  readonly eventLoopDelayMs: number;
  readonly redis: { readonly mode: 'standalone' | 'sentinel' | 'cluster' | 'memory'; readonly healthy: boolean };
}

/** One point of a node's chart series (`GET /admin/api/series`). */
export interface NodeSample {
  /** Epoch ms of the heartbeat. */
  readonly at: number;
  readonly connections: number;
  readonly sentPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** `value` as a {@link NodeStatus} when it has the shape of one (a heartbeat read from Redis), else `undefined`. */
export function asNodeStatus(value: unknown): NodeStatus | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const status = value as Partial<Record<keyof NodeStatus, unknown>>;
  const numbers = ['uptimeSeconds', 'connections', 'users', 'subscriptions', 'sseStreams', 'rssBytes', 'eventLoopDelayMs'] as const;
  const strings = ['id', 'version', 'runtimeVersion', 'startedAt', 'lastSeenAt'] as const;
  if (!strings.every((key) => typeof status[key] === 'string')) return undefined;
  if (!numbers.every((key) => typeof status[key] === 'number' && Number.isFinite(status[key]))) return undefined;
  if (status.runtime !== 'node' && status.runtime !== 'deno') return undefined;
  if (typeof status.ready !== 'boolean' || typeof status.draining !== 'boolean') return undefined;
  for (const key of ['admission', 'messages', 'deliveryLatencyMs', 'redis'] as const) {
    if (typeof status[key] !== 'object' || status[key] === null) return undefined;
  }
  if (Number.isNaN(Date.parse(status.lastSeenAt as string))) return undefined;
  return value as NodeStatus;
}
