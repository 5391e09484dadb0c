import type { Hub } from '../engine/hub.ts';
import { createLocalControl, type ClusterControl } from '../cluster/cluster-control.ts';
import { createMemoryHeartbeatStore } from '../cluster/heartbeat-store.ts';
import { LocalSessions } from '../cluster/local-sessions.ts';
import { createRedisControl } from '../cluster/redis-control.ts';
import { createRedisHeartbeatStore } from '../cluster/redis-heartbeat-store.ts';
import { createStatusBoard, type StatusBoard } from '../cluster/status-board.ts';
import type { Admission } from '../limits/admission.ts';
import type { Metrics } from '../observability/metrics.ts';
import { readNodeFigures } from '../observability/node-figures.ts';
import { VERSION } from '../observability/version.generated.ts';
import type { RedisLink } from '../redis/link.ts';
import type { Logger } from '../util/logger.ts';
import { runtimeInfo } from '../util/runtime-info.ts';
import type { Config } from './config.ts';

/** The node's part in the cluster status: its sessions, its heartbeat, and the cluster-wide requests. */
export interface ClusterStatus {
  readonly sessions: LocalSessions;
  readonly board: StatusBoard;
  readonly control: ClusterControl;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterStatusDeps {
  readonly config: Config;
  readonly link: RedisLink | undefined;
  readonly metrics: Metrics;
  readonly hub: Hub;
  readonly admission: Admission;
  readonly state: () => { readonly ready: boolean; readonly draining: boolean; readonly redisHealthy: boolean };
  /** The host's RSS reading (Node: process.memoryUsage.rss; Deno: Deno.memoryUsage), when it has one. */
  readonly rssBytes: (() => number) | undefined;
  /** The host's event-loop delay p99 since its last reading (Node: perf_hooks), when it has one. */
  readonly eventLoopDelayMs: (() => number) | undefined;
  readonly logger: Logger;
}

/**
 * Wires the cluster status (src/cluster/) to what the node counts: the heartbeat reads the metrics,
 * the hub, the sessions and admission every HEARTBEAT_INTERVAL_MS; over Redis when there is a link,
 * in memory (this node alone) otherwise.
 */
export function createClusterStatus(deps: ClusterStatusDeps): ClusterStatus {
  const { config, link, metrics, hub, admission, logger } = deps;
  const sessions = new LocalSessions();
  const { runtime, version } = runtimeInfo();
  let shedBefore = admission.shed;
  const board = createStatusBoard({
    store: link === undefined ? createMemoryHeartbeatStore() : createRedisHeartbeatStore(link.commands),
    nodeId: config.nodeId,
    version: VERSION,
    runtime,
    runtimeVersion: version,
    heartbeatMs: config.heartbeatIntervalMs,
    logger,
    async read() {
      const state = deps.state();
      const shedding = admission.shed > shedBefore;
      shedBefore = admission.shed;
      return {
        figures: await readNodeFigures(metrics.registry),
        connections: sessions.sockets,
        users: sessions.users,
        subscriptions: hub.subscriptionCount,
        sseStreams: sessions.streams,
        ready: state.ready,
        draining: state.draining,
        admission: { handshakesInFlight: admission.inFlight, shedding },
        redis: { mode: config.redis?.kind ?? 'memory', healthy: state.redisHealthy },
        rssBytes: deps.rssBytes?.(),
        eventLoopDelayMs: deps.eventLoopDelayMs?.(),
      };
    },
  });
  const control = link === undefined ? createLocalControl(config.nodeId, sessions) : createRedisControl({ link, nodeId: config.nodeId, sessions, logger });
  return {
    sessions,
    board,
    control,
    async start() {
      await control.start();
      board.start();
    },
    async stop() {
      await board.stop();
      await control.close();
    },
  };
}
