import type { Report, RunResult } from '../orchestrator/types.ts';
import type { SystemName } from '../orchestrator/systems.ts';
import { aggregateRuns } from './aggregate.ts';
import { find, ratioCheck, renderChecks, type Check, type Where } from './checks.ts';
import { num } from './format.ts';
import { scenarioLabel } from './render-table.ts';

/** Issue 4's targets, each with the figures it compares, their ratio and whether it is met. */
export function renderTargets(report: Report): string {
  const rows = aggregateRuns(report.runs);
  const main: Where = { users: 5000, nodes: 2, bodyBytes: 100 };
  const user = find(rows, 'switchboard-user', main);
  const floor = find(rows, 'floor', main);
  const card = find(rows, 'card-literal', main);
  const cpu = (run: RunResult) => run.full?.cpuMsPer1k;
  const sbRuns = rows.filter((r) => r.system === 'switchboard-user' && r.failures.length === 0 && r.scenario.nodes === 2 && r.scenario.bodyBytes === 100);
  const smallest = sbRuns.reduce<RunResult | undefined>((a, r) => (a === undefined || r.scenario.users < a.scenario.users ? r : a), undefined);
  const largest = sbRuns.reduce<RunResult | undefined>((a, r) => (a === undefined || r.scenario.users > a.scenario.users ? r : a), undefined);
  const maxNodes = Math.max(...rows.map((r) => r.scenario.nodes));
  const bus = (system: SystemName, expected: (nodes: number) => number): Check => {
    const run = find(rows, system, { users: 5000, nodes: maxNodes, bodyBytes: 100 });
    const value = run?.full?.busDeliveriesPerMessage;
    const want = run === undefined ? undefined : expected(run.scenario.nodes);
    return {
      target: `${system}: Redis deliveries per message = ${want ?? '?'}`,
      scenario: run === undefined ? 'n/a' : scenarioLabel(run.scenario),
      measured: num(value),
      verdict: value === null || value === undefined || want === undefined ? 'n/a' : Math.abs(value - want) < 0.01 ? 'met' : '**not met**',
    };
  };
  const checks: Check[] = [
    ratioCheck('CPU per message ≤ 1.5× floor', user, floor, cpu, (r) => r <= 1.5, 'switchboard/floor'),
    ratioCheck('CPU per message ≥ 10× lower than card-literal', card, user, cpu, (r) => r >= 10, 'card-literal/switchboard'),
    ratioCheck('Throughput ≥ 0.75× floor', user, floor, (run) => run.full?.throughput, (r) => r >= 0.75, 'switchboard/floor'),
    {
      ...ratioCheck('Flat scaling: CPU/msg at most users ≤ 1.2× at fewest', largest, smallest === largest ? undefined : smallest, cpu, (r) => r <= 1.2, 'largest/smallest'),
      scenario: `${smallest === undefined ? 'n/a' : scenarioLabel(smallest.scenario)} → ${largest === undefined ? 'n/a' : scenarioLabel(largest.scenario)}`,
    },
    ratioCheck('RSS per user ≤ 1.5× floor', user, floor, (run) => run.rssPerUserKib, (r) => r <= 1.5, 'switchboard/floor'),
    bus('switchboard-user', () => 1),
    bus('switchboard-broadcast', (nodes) => nodes),
    ratioCheck(`p99 at fixed ${report.settings.rate} msg/s ≤ 1.5× floor`, user, floor, (run) => run.rate?.latency.p99, (r) => r <= 1.5, 'switchboard/floor'),
    { target: 'CPU per message with history ≤ 1.2× without', scenario: 'n/a', measured: 'not measurable: switchboard always keeps history (resume, the inbox and exactly-once rest on it), so every switchboard figure here is with history on; compare Redis CPU per message with the floor for its Redis-side cost', verdict: 'n/a' },
  ];
  return renderChecks(checks);
}
