import type { Report, RunResult } from '../orchestrator/types.ts';
import { aggregateRuns } from './aggregate.ts';
import { num, table, users } from './format.ts';

/** Whether the report is of the node-capacity shape: no full-speed phase, the fixed-rate phase from the first second. */
export const isCapacityReport = (report: Report): boolean => report.settings.fullSpeed === false;

/** Node VmRSS delta ÷ sockets: each user holds one socket, and the preset runs one node. */
export const rssPerSocketKib = (run: RunResult): number | undefined =>
  run.scenario.nodes === 1 ? run.rssPerUserKib : undefined;

function row(run: RunResult): string[] {
  const phase = run.rate;
  const seconds = phase?.perSecond ?? [];
  return [
    `${users(run.scenario.users)} sockets · ${run.scenario.nodes} node${run.scenario.nodes === 1 ? '' : 's'}`,
    run.system,
    num(run.connectMs === undefined ? undefined : run.connectMs / 1000),
    num(rssPerSocketKib(run)),
    phase === undefined ? 'n/a' : [phase.latency.p50, phase.latency.p99, phase.latency.max].map(num).join(' / '),
    num(phase?.worstSecondP99),
    seconds.length === 0 ? 'n/a' : seconds.map((second) => num(second.p99)).join(' · '),
    num(phase?.cpuMsPer1k),
    String(phase?.sendErrors ?? 'n/a'),
    `${run.failures.length > 0 ? '**⚠ FAILED** ' : ''}${phase === undefined ? 'n/a' : `${phase.delivered}/${phase.sent}`}`,
  ];
}

/**
 * The node-capacity table: one node holding every socket, a fixed rate over HTTP from the first
 * second of load; latency overall and per second of sending (median over repeats, second by second),
 * RSS per socket, failed sends.
 */
export function renderCapacityTable(report: Report): string {
  const rate = report.settings.rate;
  return table(
    [
      'sockets · nodes',
      'system',
      'connect+subscribe (s)',
      'RSS per socket (KiB)',
      `at ${rate} msg/s: p50 / p99 / max (ms)`,
      'worst second: p99 (ms)',
      'p99 per second of load, first to last (ms)',
      'node CPU ms per 1k msgs',
      'failed sends',
      'delivered / sent',
    ],
    aggregateRuns(report.runs).map(row),
  );
}

/**
 * Latency per second of load, one row per second and one column per system: p50 / p99 / max of the
 * messages sent in that second (each the median over the repeats). Empty when no run has seconds.
 */
export function renderPerSecondTable(report: Report): string {
  const rows = aggregateRuns(report.runs).filter((run) => (run.rate?.perSecond?.length ?? 0) > 0);
  if (rows.length === 0) return '';
  const seconds = Math.max(...rows.map((run) => run.rate?.perSecond?.length ?? 0));
  const cell = (run: RunResult, i: number) => {
    const second = run.rate?.perSecond?.[i];
    return second === undefined || second.count === 0 ? '—' : [second.p50, second.p99, second.max].map(num).join(' / ');
  };
  return table(
    ['second of load', ...rows.map((run) => `${run.system}: p50 / p99 / max (ms)`)],
    Array.from({ length: seconds }, (_, i) => [String(i + 1), ...rows.map((run) => cell(run, i))]),
  );
}
