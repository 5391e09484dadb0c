import type { Report, RunResult, Scenario } from '../orchestrator/types.ts';
import type { SystemName } from '../orchestrator/systems.ts';
import { aggregateRuns } from './aggregate.ts';
import { find, findIn, ratioCheck, ratioOf, renderChecks, verdict, type Check } from './checks.ts';
import { num, users } from './format.ts';
import { isCapacityReport, rssPerSocketKib } from './render-capacity.ts';
import { scenarioLabel } from './render-table.ts';

const cpu = (run: RunResult) => run.full?.cpuMsPer1k;
const at = (u: number): Scenario => ({ users: u, nodes: 2, bodyBytes: 100 });

/**
 * `system` against `reference` in one scenario: `system`'s run closest to `where` (see `find`),
 * the reference's in exactly that scenario, so a ratio never mixes two scenarios. With `exact`, the
 * system's run must be in `where` too (n/a otherwise: the 20k targets must not fall back to 5k).
 */
function pair(rows: readonly RunResult[], system: SystemName, reference: SystemName, where: Scenario, exact = false) {
  const a = exact ? findIn(rows, system, where) : find(rows, system, where);
  return [a, findIn(rows, reference, a?.scenario)] as const;
}

/** A ratio target, with `n/a` naming the scenario the report lacks. */
function pairCheck(
  rows: readonly RunResult[],
  target: string,
  [system, reference]: readonly [SystemName, SystemName],
  where: Scenario,
  pick: (run: RunResult) => number | null | undefined,
  ok: (ratio: number) => boolean,
  exact = false,
): Check {
  const [a, b] = pair(rows, system, reference, where, exact);
  const check = ratioCheck(target, a, b, pick, ok, `${system}/${reference}`);
  return a === undefined && exact ? { ...check, scenario: `${scenarioLabel(where)}: not in this report` } : check;
}

/** Every switchboard run of the report (each repeat) delivered every message exactly once. */
function exactlyOnce(report: Report): Check {
  const runs = report.runs.filter((run) => run.system.startsWith('switchboard'));
  const failed = runs.filter((run) => run.failures.length > 0);
  return {
    target: 'Every switchboard row delivers every message exactly once',
    scenario: `${runs.length} switchboard runs`,
    measured: failed.length === 0 ? 'no loss, duplicate, misroute or failed send' : `${failed.length} failed: ${failed.map((run) => `${run.system} ${scenarioLabel(run.scenario)}`).join(', ')}`,
    verdict: runs.length === 0 ? 'n/a' : failed.length === 0 ? 'met' : '**not met**',
  };
}

function matrixChecks(report: Report): Check[] {
  const rows = aggregateRuns(report.runs);
  const sb = 'switchboard-user';
  const rate = report.settings.rate;
  const floorCpu = (where: Scenario, exact: boolean): Check => {
    const check = pairCheck(rows, `CPU per message ≤ 2× floor (moonshot 1.5×)`, [sb, 'floor'], where, cpu, (r) => r <= 2, exact);
    const [a, b] = pair(rows, sb, 'floor', where, exact);
    const ratio = ratioOf(a === undefined ? undefined : cpu(a), b === undefined ? undefined : cpu(b));
    return check.verdict === 'met' ? { ...check, verdict: `met; moonshot ${verdict(ratio, (r) => r <= 1.5)}` } : check;
  };
  const sbRuns = rows.filter((r) => r.system === sb && r.failures.length === 0 && r.scenario.nodes === 2 && r.scenario.bodyBytes === 100);
  const fewest = findIn(rows, sb, at(1000)) ?? sbRuns.reduce<RunResult | undefined>((a, r) => (a === undefined || r.scenario.users < a.scenario.users ? r : a), undefined);
  const most = findIn(rows, sb, at(20_000)) ?? sbRuns.reduce<RunResult | undefined>((a, r) => (a === undefined || r.scenario.users > a.scenario.users ? r : a), undefined);
  const flat = ratioCheck('Flat: CPU per message at 20k users ≤ 1.2× at 1k', most, fewest === most ? undefined : fewest, cpu, (r) => r <= 1.2, 'most/fewest users');
  return [
    pairCheck(rows, 'CPU per message ≤ 0.7× Mercurius', [sb, 'mercurius'], at(5000), cpu, (r) => r <= 0.7),
    pairCheck(rows, 'CPU per message ≤ 0.7× Mercurius', [sb, 'mercurius'], at(20_000), cpu, (r) => r <= 0.7, true),
    floorCpu(at(5000), false),
    floorCpu(at(20_000), true),
    pairCheck(rows, 'Full-speed throughput ≥ 1.2× Mercurius', [sb, 'mercurius'], at(5000), (run) => run.full?.throughput, (r) => r >= 1.2),
    pairCheck(rows, `p99 at a fixed ${rate} msg/s ≤ Mercurius's`, [sb, 'mercurius'], at(5000), (run) => run.rate?.latency.p99, (r) => r <= 1),
    pairCheck(rows, `p99 at a fixed ${rate} msg/s ≤ 2× floor`, [sb, 'floor'], at(5000), (run) => run.rate?.latency.p99, (r) => r <= 2),
    {
      ...flat,
      scenario: `${fewest === undefined ? 'n/a' : scenarioLabel(fewest.scenario)} → ${most === undefined ? 'n/a' : scenarioLabel(most.scenario)}`,
    },
    pairCheck(rows, 'switchboard-deno: CPU per message ≤ 0.7× Mercurius', ['switchboard-deno', 'mercurius'], at(5000), cpu, (r) => r <= 0.7),
    pairCheck(rows, 'switchboard-deno: RSS per user ≤ 1.5× the Node build', ['switchboard-deno', sb], at(5000), (run) => run.rssPerUserKib, (r) => r <= 1.5),
    {
      target: 'Retained memory per subscribed socket ≤ 8 KB (forced GC, 5,000 sockets)',
      scenario: 'n/a',
      measured: 'not measured here: the load cannot force a GC in the nodes; see scripts/figures',
      verdict: 'n/a',
    },
    exactlyOnce(report),
  ];
}

function capacityChecks(report: Report): Check[] {
  const rows = aggregateRuns(report.runs);
  // Failed repeats stay in: their figures count, and the failures show in the last two lines.
  const sb = rows.find((run) => run.system === 'switchboard-user');
  const floor = rows.find((run) => run.system === 'floor' && sb !== undefined && JSON.stringify(run.scenario) === JSON.stringify(sb.scenario));
  const where = sb === undefined ? 'n/a' : `${users(sb.scenario.users)} sockets · ${sb.scenario.nodes} node · ${report.settings.rate} msg/s · ${sb.repeats ?? 1} run(s)${(sb.repeats ?? 1) < 3 ? ' (the target asks for the median of ≥ 3)' : ''}`;
  const worst = sb?.rate?.worstSecondP99;
  const floorWorst = floor?.rate?.worstSecondP99;
  const ratio = ratioOf(worst, floorWorst);
  const firstSecond = sb?.rate?.perSecond?.[0]?.p99;
  const latencyVerdict = worst === undefined ? 'n/a' : worst <= 50 ? 'met' : ratio !== undefined && ratio <= 2 ? 'met (≤ 2× the floor: the box stalled both)' : '**not met**';
  const failedSends = report.runs.filter((run) => run.system === 'switchboard-user').reduce((total, run) => total + (run.rate?.sendErrors ?? 0), 0);
  const rss = ratioCheck('RSS per socket ≤ 1.6× floor', sb, floor, rssPerSocketKib, (r) => r <= 1.6, 'switchboard/floor');
  return [
    {
      target: 'Delivery p99 ≤ 50 ms from the first second of load (or ≤ 2× the floor\'s)',
      scenario: where,
      measured: `worst second's p99 ${num(worst)} ms (first second ${num(firstSecond)}, whole phase ${num(sb?.rate?.latency.p99)}); floor's worst second ${num(floorWorst)} ms → ${num(ratio)}×`,
      verdict: latencyVerdict,
    },
    {
      target: 'No failed send',
      scenario: where,
      measured: `${failedSends} failed sends over ${report.runs.filter((run) => run.system === 'switchboard-user').length} runs`,
      verdict: sb === undefined ? 'n/a' : failedSends === 0 ? 'met' : '**not met**',
    },
    { ...rss, scenario: where },
    exactlyOnce(report),
  ];
}

/**
 * Issue 12's targets, each with the figures it compares, their ratio and whether it is met: the
 * matrix targets (CPU, throughput, latency against Mercurius and the floor; flat scaling; Deno) for a
 * matrix report, the node-capacity targets for a node-capacity report.
 */
export function renderIssue12Targets(report: Report): string {
  return renderChecks(isCapacityReport(report) ? capacityChecks(report) : matrixChecks(report));
}
