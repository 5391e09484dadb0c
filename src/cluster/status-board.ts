import type { NodeFigures } from '../observability/node-figures.ts';
import { createFaultLog } from '../util/fault-log.ts';
import { errorMessage } from '../util/error-message.ts';
import type { Logger } from '../util/logger.ts';
import type { HeartbeatStore } from './heartbeat-store.ts';
import { intervalFigures } from './interval-figures.ts';
import type { NodeSample, NodeStatus } from './node-status.ts';

/** What the node reports of itself at each heartbeat (app/create-app.ts gathers it). */
interface LocalReading extends Pick<NodeStatus, 'connections' | 'users' | 'subscriptions' | 'sseStreams' | 'ready' | 'draining' | 'admission' | 'redis'> {
  readonly figures: NodeFigures;
  /** The runtime's own RSS reading, when the host gives one (else the metrics' figure). */
  readonly rssBytes: number | undefined;
  /** The host's event-loop delay p99 over the interval, when it measures one (else the heartbeat timer's lateness). */
  readonly eventLoopDelayMs: number | undefined;
}

export interface StatusBoardOptions {
  readonly store: HeartbeatStore;
  readonly nodeId: string;
  readonly version: string;
  readonly runtime: NodeStatus['runtime'];
  readonly runtimeVersion: string;
  /** Heartbeat period; a node silent for three of them leaves the list. */
  readonly heartbeatMs: number;
  readonly read: () => Promise<LocalReading>;
  readonly logger: Logger;
  /** Epoch ms. */
  readonly now?: () => number;
}

/** The cluster as this node sees it, and this node's part in it. */
export interface StatusBoard {
  /** Starts heartbeating (the first one at once). */
  start(): void;
  /** Stops, and takes this node off the list (a drained node leaves at once, not three heartbeats later). */
  stop(): Promise<void>;
  /** The live nodes (heard from within three heartbeats), sorted by id, as of the last heartbeat. */
  nodes(): readonly NodeStatus[];
  /** The last 15 minutes of every live node's heartbeats, for the charts. */
  series(): ReadonlyMap<string, readonly NodeSample[]>;
  readonly heartbeatMs: number;
}

/** How much history the charts get. */
const SERIES_MS = 15 * 60_000;
/** Heartbeats older than this many periods are removed from the store. */
const FORGET_AFTER_BEATS = 12;

/**
 * Heartbeats through the store (Centrifugo's design: each node publishes its figures through the
 * broker, and any node lists the cluster): every `heartbeatMs` the node writes its own status and
 * reads everyone's, keeping the last 15 minutes of each for the charts. A 5 s timer, nothing per message.
 */
export function createStatusBoard(options: StatusBoardOptions): StatusBoard {
  const { store, heartbeatMs, logger } = options;
  const now = options.now ?? Date.now;
  const faults = createFaultLog(logger);
  const startedAt = now();
  let previous: { readonly figures: NodeFigures; readonly at: number } | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let expected = 0;
  let beating = false;
  let live: NodeStatus[] = [];
  const series = new Map<string, NodeSample[]>();

  const own = async (): Promise<NodeStatus> => {
    const at = now();
    // The timer's own lateness is the event-loop delay where prom-client's is not collected.
    const lateness = expected === 0 ? 0 : Math.max(0, at - expected);
    expected = at + heartbeatMs;
    const local = await options.read();
    const interval = intervalFigures(local.figures, previous?.figures, previous === undefined ? 0 : (at - previous.at) / 1000);
    previous = { figures: local.figures, at };
    return {
      id: options.nodeId,
      version: options.version,
      runtime: options.runtime,
      runtimeVersion: options.runtimeVersion,
      startedAt: new Date(startedAt).toISOString(),
      lastSeenAt: new Date(at).toISOString(),
      uptimeSeconds: Math.round((at - startedAt) / 1000),
      connections: local.connections,
      users: local.users,
      subscriptions: local.subscriptions,
      sseStreams: local.sseStreams,
      ready: local.ready,
      draining: local.draining,
      admission: local.admission,
      messages: { sentPerSecond: interval.sentPerSecond, deliveredPerSecond: interval.deliveredPerSecond, droppedPerSecond: interval.droppedPerSecond },
      deliveryLatencyMs: { p50: interval.p50Ms, p99: interval.p99Ms },
      rssBytes: local.rssBytes ?? local.figures.rssBytes,
      eventLoopDelayMs: Math.round((local.eventLoopDelayMs ?? lateness) * 100) / 100,
      redis: local.redis,
    };
  };

  const remember = (statuses: readonly NodeStatus[], at: number) => {
    for (const status of statuses) {
      const points = series.get(status.id) ?? [];
      const seenAt = Date.parse(status.lastSeenAt);
      if (points.at(-1)?.at !== seenAt) {
        const { connections, messages, deliveryLatencyMs } = status;
        points.push({ at: seenAt, connections, sentPerSecond: messages.sentPerSecond, deliveredPerSecond: messages.deliveredPerSecond, p50Ms: deliveryLatencyMs.p50, p99Ms: deliveryLatencyMs.p99 });
      }
      while (points.length > 0 && (points[0]?.at ?? at) < at - SERIES_MS) points.shift();
      series.set(status.id, points);
    }
    for (const [id, points] of series) if ((points.at(-1)?.at ?? 0) < at - SERIES_MS) series.delete(id);
  };

  const beat = async () => {
    if (beating) return;
    beating = true;
    try {
      const status = await own();
      await store.write(status);
      const all = await store.readAll();
      const at = now();
      const silentSince = at - 3 * heartbeatMs;
      live = all.filter((entry) => Date.parse(entry.lastSeenAt) >= silentSince).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      remember(live, at);
      const forgotten = all.filter((entry) => Date.parse(entry.lastSeenAt) < at - FORGET_AFTER_BEATS * heartbeatMs).map((entry) => entry.id);
      await store.remove(forgotten);
    } catch (error) {
      faults.report('heartbeat', { err: errorMessage(error) }, 'cluster status: heartbeat failed (the node keeps serving; the list is stale until Redis answers)');
    } finally {
      beating = false;
    }
  };

  return {
    heartbeatMs,
    start() {
      void beat();
      timer = setInterval(() => void beat(), heartbeatMs);
      (timer as { unref?: () => void }).unref?.();
    },
    async stop() {
      clearInterval(timer);
      await store.remove([options.nodeId]);
    },
    nodes: () => live,
    series: () => series,
  };
}
