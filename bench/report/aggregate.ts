import type { PhaseSummary, RunResult } from '../orchestrator/types.ts';
import type { LatencySummary } from '../lib/stats.ts';

/** Median of the finite values, `undefined` when there are none. */
function median(values: ReadonlyArray<number | null | undefined>): number | undefined {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return undefined;
  const middle = finite.length >> 1;
  return finite.length % 2 === 1 ? (finite[middle] ?? 0) : ((finite[middle - 1] ?? 0) + (finite[middle] ?? 0)) / 2;
}

const m = (values: ReadonlyArray<number | null | undefined>): number => median(values) ?? Number.NaN;

function medianPhase(phases: readonly PhaseSummary[]): PhaseSummary | undefined {
  const first = phases[0];
  if (first === undefined) return undefined;
  const sum = (pick: (p: PhaseSummary) => number) => phases.reduce((total, p) => total + pick(p), 0);
  const latency = (key: keyof LatencySummary) => m(phases.map((p) => p.latency[key]));
  const bus = median(phases.map((p) => p.busDeliveriesPerMessage));
  return {
    kind: first.kind,
    issued: sum((p) => p.issued),
    sent: sum((p) => p.sent),
    delivered: sum((p) => p.delivered),
    sendErrors: sum((p) => p.sendErrors),
    duplicates: sum((p) => p.duplicates),
    misrouted: sum((p) => p.misrouted),
    drained: phases.every((p) => p.drained),
    throughput: m(phases.map((p) => p.throughput)),
    durationMs: m(phases.map((p) => p.durationMs)),
    latency: { count: sum((p) => p.latency.count), p50: latency('p50'), p90: latency('p90'), p99: latency('p99'), max: latency('max') },
    cpuMsPer1k: m(phases.map((p) => p.cpuMsPer1k)),
    nodeCpuMs: m(phases.map((p) => p.nodeCpuMs)),
    redisCpuMs: m(phases.map((p) => p.redisCpuMs)),
    loadCpuMs: m(phases.map((p) => p.loadCpuMs)),
    foreignCpuMs: m(phases.map((p) => p.foreignCpuMs)),
    measuredMs: m(phases.map((p) => p.measuredMs)),
    busDeliveriesPerMessage: bus ?? null,
    redisOutBytesPerMessage: m(phases.map((p) => p.redisOutBytesPerMessage)),
    maxLagMs: m(phases.map((p) => p.maxLagMs)),
    ...medianSeconds(phases),
    problems: phases.flatMap((p) => p.problems),
  };
}

/** Per second of a fixed-rate phase: each second's figures the median over the repeats that have that second. */
function medianSeconds(phases: readonly PhaseSummary[]): Pick<PhaseSummary, 'perSecond' | 'worstSecondP99'> {
  const runs = phases.flatMap((p) => (p.perSecond === undefined ? [] : [p.perSecond]));
  if (runs.length === 0) return {};
  const seconds = Math.max(...runs.map((run) => run.length));
  const perSecond = Array.from({ length: seconds }, (_, i) => {
    const have = runs.flatMap((run) => (run[i] === undefined ? [] : [run[i]]));
    const at = (key: keyof LatencySummary) => m(have.map((second) => second[key]));
    return { count: have.reduce((total, second) => total + second.count, 0), p50: at('p50'), p90: at('p90'), p99: at('p99'), max: at('max') };
  });
  // The median of each run's own worst second, not the worst of the medians.
  return { perSecond, worstSecondP99: m(phases.map((p) => p.worstSecondP99)) };
}

/**
 * One row per system and scenario: with `--repeat`, every figure is the median over the repeats
 * (each figure separately); counts are sums; failures and warnings are all kept.
 */
export function aggregateRuns(runs: readonly RunResult[]): RunResult[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = `${run.system}|${JSON.stringify(run.scenario)}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const rows: RunResult[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined) continue;
    if (group.length === 1) {
      rows.push(first);
      continue;
    }
    const full = medianPhase(group.flatMap((run) => (run.full === undefined ? [] : [run.full])));
    const rate = medianPhase(group.flatMap((run) => (run.rate === undefined ? [] : [run.rate])));
    // The reason of the run closest to the median full-speed throughput (it quotes that figure).
    const skipped = group
      .filter((run) => run.rateSkipped !== undefined)
      .sort((a, b) => Math.abs((a.full?.throughput ?? 0) - (full?.throughput ?? 0)) - Math.abs((b.full?.throughput ?? 0) - (full?.throughput ?? 0)))[0]?.rateSkipped;
    rows.push({
      system: first.system,
      scenario: first.scenario,
      repeats: group.length,
      failures: group.flatMap((run, i) => run.failures.map((f) => `run ${i + 1}: ${f}`)),
      warnings: group.flatMap((run, i) => run.warnings.map((w) => `run ${i + 1}: ${w}`)),
      connectMs: m(group.map((run) => run.connectMs)),
      rssPerUserKib: m(group.map((run) => run.rssPerUserKib)),
      ...(full === undefined ? {} : { full }),
      ...(rate === undefined ? {} : { rate }),
      ...(skipped === undefined || rate !== undefined ? {} : { rateSkipped: skipped }),
    });
  }
  return rows;
}
