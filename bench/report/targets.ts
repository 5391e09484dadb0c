import type { Report, RunResult, Scenario } from '../orchestrator/types.ts';
import type { SystemName } from '../orchestrator/systems.ts';
import { aggregateRuns } from './aggregate.ts';
import { num, table } from './format.ts';
import { scenarioLabel } from './render-table.ts';

type Where = Partial<Pick<Scenario, 'users' | 'nodes' | 'bodyBytes'>>;

interface Check {
  readonly target: string;
  readonly scenario: string;
  readonly measured: string;
  readonly verdict: string;
}

/**
 * Finds a run of `system` in the scenario closest to `where`: an exact match when the report has
 * one, else the first scenario with the same node count, else the first run at all (the smoke
 * preset has one small scenario; its ratios are only indicative).
 */
function find(rows: readonly RunResult[], system: SystemName, where: Where): RunResult | undefined {
  const runs = rows.filter((run) => run.system === system && run.failures.length === 0);
  const matches = (run: RunResult, keys: Array<keyof Where>) => keys.every((k) => where[k] === undefined || run.scenario[k] === where[k]);
  return (
    runs.find((run) => matches(run, ['users', 'nodes', 'bodyBytes'])) ??
    runs.find((run) => matches(run, ['nodes', 'bodyBytes'])) ??
    runs.find((run) => matches(run, ['bodyBytes'])) ??
    runs[0]
  );
}

const verdict = (ratio: number | undefined, ok: (r: number) => boolean) =>
  ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : ok(ratio) ? 'met' : '**not met**';

function ratioCheck(
  target: string,
  a: RunResult | undefined,
  b: RunResult | undefined,
  pick: (run: RunResult) => number | null | undefined,
  ok: (ratio: number) => boolean,
  label: string,
): Check {
  const x = a === undefined ? undefined : pick(a);
  const y = b === undefined ? undefined : pick(b);
  const ratio = x === undefined || x === null || y === undefined || y === null || y === 0 ? undefined : x / y;
  return {
    target,
    scenario: a === undefined ? 'n/a' : scenarioLabel(a.scenario),
    measured: `${num(x)} vs ${num(y)} → ${label} ${num(ratio)}×`,
    verdict: verdict(ratio, ok),
  };
}

/** The targets, each with the figures it compares, their ratio and whether it is met. */
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
  return table(['target', 'scenario', 'measured', 'verdict'], checks.map((c) => [c.target, c.scenario, c.measured, c.verdict]));
}
