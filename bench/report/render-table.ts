import type { Report, RunResult, Scenario } from '../orchestrator/types.ts';
import { aggregateRuns } from './aggregate.ts';
import { bytes, num, table, users } from './format.ts';

const HEADER = [
  'users · nodes · body',
  'system',
  'connect+subscribe (s)',
  'RSS per user (KiB)',
  'full speed (msg/s)',
  'latency p50 / p90 / p99 / max (ms)',
  'node CPU ms per 1k msgs',
  'Redis deliveries per msg',
  'Redis bytes out per msg',
  'at fixed rate: p50 / p99 / max (ms)',
  'delivered / sent',
];

export const scenarioLabel = (s: Scenario): string =>
  `${users(s.users)} · ${s.nodes} · ${bytes(s.bodyBytes)}`;

function row(run: RunResult): string[] {
  const full = run.full;
  const rate = run.rate;
  const seconds = run.connectMs === undefined ? undefined : run.connectMs / 1000;
  const deliveries = [full, rate].filter((p) => p !== undefined);
  const counts = deliveries.map((p) => `${p.delivered}/${p.sent}`).join(', ');
  return [
    scenarioLabel(run.scenario),
    run.system,
    num(seconds),
    num(run.rssPerUserKib),
    full === undefined ? 'n/a' : num(full.throughput),
    full === undefined ? 'n/a' : [full.latency.p50, full.latency.p90, full.latency.p99, full.latency.max].map(num).join(' / '),
    full === undefined ? 'n/a' : num(full.cpuMsPer1k),
    full === undefined ? 'n/a' : num(full.busDeliveriesPerMessage),
    full === undefined ? 'n/a' : num(full.redisOutBytesPerMessage),
    rate === undefined ? (run.rateSkipped ?? 'n/a') : [rate.latency.p50, rate.latency.p99, rate.latency.max].map(num).join(' / '),
    `${run.failures.length > 0 ? '**⚠ FAILED** ' : ''}${counts || 'n/a'}`,
  ];
}

/** The comparison table: one row per system per scenario, systems of a scenario together. */
export function renderTable(report: Report): string {
  return table(HEADER, aggregateRuns(report.runs).map(row));
}

/** Every warning of every run (figures disturbed by other work on the machine). */
export function renderWarnings(report: Report): string {
  const lines = aggregateRuns(report.runs).flatMap((run) =>
    run.warnings.map((warning) => `- ${run.system}, ${scenarioLabel(run.scenario)}: ${warning}`),
  );
  return lines.length === 0 ? '' : `Disturbed figures (other processes were busy; treat these rows with suspicion):\n\n${lines.join('\n')}\n`;
}

/** Every failure of every run, one line each; empty when there are none. */
export function renderFailures(report: Report): string {
  const lines = aggregateRuns(report.runs).flatMap((run) =>
    run.failures.map((failure) => `- **${run.system}, ${scenarioLabel(run.scenario)}**: ${failure}`),
  );
  return lines.length === 0 ? '' : `### ⚠ Failures (delivered != sent or worse)\n\n${lines.join('\n')}\n`;
}
