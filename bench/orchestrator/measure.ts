import type { PhaseResult, PhaseSpec } from '../lib/ipc.ts';
import { totalBusReceived } from '../lib/metrics-scrape.ts';
import { totalCpuMillis } from '../lib/proc-stats.ts';
import { machineBusyMs } from '../lib/system-cpu.ts';
import type { RedisServer } from '../lib/redis.ts';
import { summarize, summarizeBySecond } from '../lib/stats.ts';
import type { LoadPool } from './load-pool.ts';
import type { PhaseSummary } from './types.ts';

/** The processes a phase measures. */
export interface Subjects {
  readonly nodePids: readonly number[];
  readonly nodePorts: readonly number[];
  readonly redis: RedisServer;
  readonly pool: LoadPool;
}

interface Snapshot {
  readonly nodeCpu: number;
  readonly redisCpu: number;
  readonly loadCpu: number;
  readonly bus: number | undefined;
  readonly redisOut: number;
  readonly machineBusy: number;
  readonly orchestrator: number;
  readonly at: number;
}

function cpuUsageMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function snapshot(s: Subjects): Promise<Snapshot> {
  return {
    nodeCpu: totalCpuMillis(s.nodePids),
    redisCpu: totalCpuMillis([s.redis.child.pid]),
    loadCpu: totalCpuMillis(s.pool.pids),
    bus: await totalBusReceived(s.nodePorts),
    redisOut: await s.redis.outputBytes(),
    machineBusy: machineBusyMs(),
    orchestrator: cpuUsageMs(),
    at: performance.now(),
  };
}

/**
 * Runs one phase on every load process at once, with CPU, bus and Redis counters read right before
 * and right after, and sums what everyone measured.
 */
export async function measurePhase(
  s: Subjects,
  kind: PhaseSummary['kind'],
  spec: PhaseSpec,
  timeoutMs: number,
): Promise<PhaseSummary> {
  const before = await snapshot(s);
  const replies = await s.pool.all({ type: 'phase', spec }, 'phase-done', timeoutMs);
  const after = await snapshot(s);
  const results = replies.map((reply) => reply.result);
  const sum = (pick: (r: PhaseResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  const sent = sum((r) => r.sent);
  const delivered = sum((r) => r.delivered);
  const start = Math.min(...results.map((r) => r.firstSendAt).filter(Number.isFinite));
  const end = Math.max(...results.map((r) => r.lastReceiptAt).filter(Number.isFinite));
  const durationMs = Number.isFinite(start) && Number.isFinite(end) ? end - start : 0;
  // Fixed rate: the latency of what was sent in each second, from the phase's first send on.
  const perSecond =
    kind === 'rate' && Number.isFinite(start)
      ? summarizeBySecond(results.flatMap((r) => r.latenciesMs), results.flatMap((r) => r.sentAtMs), start)
      : undefined;
  const nodeCpuMs = after.nodeCpu - before.nodeCpu;
  const redisCpuMs = after.redisCpu - before.redisCpu;
  const loadCpuMs = after.loadCpu - before.loadCpu;
  const ours = nodeCpuMs + redisCpuMs + loadCpuMs + (after.orchestrator - before.orchestrator);
  return {
    kind,
    issued: sum((r) => r.issued),
    sent,
    delivered,
    sendErrors: sum((r) => r.sendErrors),
    duplicates: sum((r) => r.duplicates),
    misrouted: sum((r) => r.misrouted),
    drained: results.every((r) => r.drained),
    throughput: durationMs > 0 ? (delivered * 1000) / durationMs : 0,
    durationMs,
    latency: summarize(results.flatMap((r) => r.latenciesMs)),
    ...(perSecond === undefined ? {} : { perSecond, worstSecondP99: Math.max(0, ...perSecond.map((second) => second.p99)) }),
    cpuMsPer1k: delivered > 0 ? (nodeCpuMs * 1000) / delivered : 0,
    nodeCpuMs,
    redisCpuMs,
    loadCpuMs,
    foreignCpuMs: Math.max(0, after.machineBusy - before.machineBusy - ours),
    measuredMs: after.at - before.at,
    busDeliveriesPerMessage:
      before.bus === undefined || after.bus === undefined || sent === 0 ? null : (after.bus - before.bus) / sent,
    redisOutBytesPerMessage: sent > 0 ? (after.redisOut - before.redisOut) / sent : 0,
    maxLagMs: Math.max(0, ...results.map((r) => r.maxLagMs)),
    problems: [
      ...results.flatMap((r) => (r.firstSendError === undefined ? [] : [`send error: ${r.firstSendError}`])),
      ...replies.flatMap((reply) => reply.problems).slice(0, 20),
    ],
  };
}

/** Everything wrong with a phase that must be reported loudly (empty when delivered == sent and nothing else went wrong). */
export function phaseFailures(phase: PhaseSummary): string[] {
  const label = phase.kind === 'full' ? 'full-speed' : 'fixed-rate';
  const failures: string[] = [];
  if (phase.delivered < phase.sent) {
    failures.push(`${label}: DELIVERED ${phase.delivered} != SENT ${phase.sent} (${phase.sent - phase.delivered} missing${phase.drained ? '' : ', not drained in time'})`);
  } else if (phase.delivered > phase.sent) {
    failures.push(`${label}: DELIVERED ${phase.delivered} != SENT ${phase.sent} (${phase.delivered - phase.sent} delivered although their send failed)`);
  }
  if (phase.sendErrors > 0) failures.push(`${label}: ${phase.sendErrors} sends failed`);
  if (phase.duplicates > 0) failures.push(`${label}: ${phase.duplicates} duplicate deliveries`);
  if (phase.misrouted > 0) failures.push(`${label}: ${phase.misrouted} deliveries to the wrong user`);
  for (const problem of phase.problems) failures.push(`${label}: ${problem}`);
  return failures;
}
