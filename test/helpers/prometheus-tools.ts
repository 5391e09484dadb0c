import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/**
 * Debian's `prometheus` package (scripts/ensure-e2e-tools.sh installs it): the server and promtool.
 * Outside CI a machine without them skips the tests that need them; in CI they must be there.
 */
export const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));
export const PROMETHEUS = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((path) => existsSync(path));
export const prometheusAvailable = (PROMTOOL !== undefined && PROMETHEUS !== undefined) || process.env['CI'] !== undefined;

/** Runs `command` with `args` (and `input` on stdin) to completion. */
export function run(command: string, args: string[], options: { cwd?: string; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** One rule of a Prometheus rules file. */
export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

const DEPLOY = new URL('../../deploy/', import.meta.url);

/** The rules of `deploy/prometheus/<file>`, every group's. */
export function rulesOf(file: string): Rule[] {
  const parsed = parseYaml(readFileSync(new URL(`prometheus/${file}`, DEPLOY), 'utf8')) as { groups: Array<{ rules: Rule[] }> };
  return parsed.groups.flatMap((group) => group.rules);
}

/**
 * What an alert measures: its expression without the comparison on its last line (alerts.yml writes
 * every rule as "<measure>" then "<comparison> <threshold>"), so it has data on a healthy cluster.
 * @throws when the expression does not end in such a line.
 */
export function measureOf(rule: Rule): string {
  const match = /^([\s\S]*\S)\s*\n\s*(?:==|!=|>=|<=|>|<)\s*[-0-9.e+*/\s]+$/u.exec(rule.expr.trim());
  if (match?.[1] === undefined) throw new Error(`Cannot find the measure of ${rule.alert ?? rule.record}: its last line is not "<comparison> <threshold>": ${rule.expr}`);
  return match[1];
}

/** Every PromQL expression of deploy/grafana/switchboard.json's panels, with the panel's title. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(new URL('grafana/switchboard.json', DEPLOY), 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr?: string }> }>;
  };
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => (target.expr === undefined ? [] : [{ panel: panel.title, expr: target.expr }])));
}
