import type { RunResult, Scenario } from '../orchestrator/types.ts';
import type { SystemName } from '../orchestrator/systems.ts';
import { num, table } from './format.ts';
import { scenarioLabel } from './render-table.ts';

/** The scenario a target names; keys left out match any value. */
export type Where = Partial<Pick<Scenario, 'users' | 'nodes' | 'bodyBytes'>>;

/** One line of a targets table. */
export interface Check {
  readonly target: string;
  readonly scenario: string;
  readonly measured: string;
  readonly verdict: string;
}

const matches = (run: RunResult, where: Where, keys: ReadonlyArray<keyof Where>) =>
  keys.every((k) => where[k] === undefined || run.scenario[k] === where[k]);

const usable = (rows: readonly RunResult[], system: SystemName) => rows.filter((run) => run.system === system && run.failures.length === 0);

/**
 * A run of `system` in the scenario closest to `where`: an exact match when the report has one, else
 * the first scenario with the same node count and body, else the same body, else the first run at
 * all (the smoke preset has one small scenario; its ratios are only indicative). Failed runs never.
 */
export function find(rows: readonly RunResult[], system: SystemName, where: Where): RunResult | undefined {
  const runs = usable(rows, system);
  return (
    runs.find((run) => matches(run, where, ['users', 'nodes', 'bodyBytes'])) ??
    runs.find((run) => matches(run, where, ['nodes', 'bodyBytes'])) ??
    runs.find((run) => matches(run, where, ['bodyBytes'])) ??
    runs[0]
  );
}

/** A run of `system` in exactly `scenario`, or `undefined`. Failed runs never. */
export function findIn(rows: readonly RunResult[], system: SystemName, scenario: Scenario | undefined): RunResult | undefined {
  if (scenario === undefined) return undefined;
  return usable(rows, system).find((run) => matches(run, scenario, ['users', 'nodes', 'bodyBytes']));
}

/** `met` / `**not met**` for a ratio, `n/a` when there is none. */
export const verdict = (ratio: number | undefined, ok: (r: number) => boolean): string =>
  ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : ok(ratio) ? 'met' : '**not met**';

/** `a`'s figure ÷ `b`'s, when both exist and `b`'s is not 0. */
export function ratioOf(a: number | null | undefined, b: number | null | undefined): number | undefined {
  return a === undefined || a === null || b === undefined || b === null || b === 0 ? undefined : a / b;
}

/** A target on the ratio of one figure of two runs (`label` names the ratio, e.g. `switchboard/floor`). */
export function ratioCheck(
  target: string,
  a: RunResult | undefined,
  b: RunResult | undefined,
  pick: (run: RunResult) => number | null | undefined,
  ok: (ratio: number) => boolean,
  label: string,
): Check {
  const x = a === undefined ? undefined : pick(a);
  const y = b === undefined ? undefined : pick(b);
  const ratio = ratioOf(x, y);
  return {
    target,
    scenario: a === undefined ? 'n/a' : scenarioLabel(a.scenario),
    measured: `${num(x)} vs ${num(y)} → ${label} ${num(ratio)}×`,
    verdict: verdict(ratio, ok),
  };
}

/** The Markdown table of `checks`. */
export const renderChecks = (checks: readonly Check[]): string =>
  table(['target', 'scenario', 'measured', 'verdict'], checks.map((c) => [c.target, c.scenario, c.measured, c.verdict]));
