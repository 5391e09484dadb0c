import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PROMTOOL, prometheusAvailable, rulesOf, run } from '../helpers/prometheus-tools.ts';

// deploy/prometheus/*.yml checked and unit-tested by Debian's promtool (scripts/ensure-e2e-tools.sh).
const DIR = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));
const OPERATIONS = readFileSync(new URL('../../docs/OPERATIONS.md', import.meta.url), 'utf8');
const alerts = rulesOf('alerts.yml');

interface UnitTests {
  rule_files: string[];
  tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}
const unitTests = parseYaml(readFileSync(`${DIR}/alerts.test.yml`, 'utf8')) as UnitTests;

/** GitHub's anchor of a Markdown heading. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/gu, '').replace(/ /gu, '-');

describe.skipIf(!prometheusAvailable)('Prometheus rules (deploy/prometheus)', () => {
  it('pass promtool check rules and promtool check config', async () => {
    const rules = await run(PROMTOOL ?? 'promtool', ['check', 'rules', 'alerts.yml', 'recording.yml'], { cwd: DIR });
    expect(rules.stderr).toBe('');
    expect(rules.code).toBe(0);
    const config = await run(PROMTOOL ?? 'promtool', ['check', 'config', 'prometheus.yml'], { cwd: DIR });
    expect(config.code, config.stderr).toBe(0);
  });

  it('pass their unit tests (promtool test rules alerts.test.yml), which load both rule files', async () => {
    expect(unitTests.rule_files.sort()).toEqual(['alerts.yml', 'recording.yml']);
    const result = await run(PROMTOOL ?? 'promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('unit-test every alert both ways: a case where it fires, and one where it stays silent', () => {
    const checks = unitTests.tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const { alert } of alerts) {
      const own = checks.filter((check) => check.alertname === alert);
      expect(own.some((check) => check.exp_alerts.length > 0), `${alert} fires somewhere`).toBe(true);
      expect(own.some((check) => check.exp_alerts.length === 0), `${alert} stays silent somewhere`).toBe(true);
    }
    expect(new Set(checks.map((check) => check.alertname))).toEqual(new Set(alerts.map((rule) => rule.alert)));
  });

  it('give every alert a severity, a summary, a description and a runbook section of its own in docs/OPERATIONS.md', () => {
    const headings = new Set([...OPERATIONS.matchAll(/^#{2,4} (.+)$/gmu)].map((match) => anchorOf(match[1] ?? '')));
    expect(alerts.length).toBe(9);
    for (const rule of alerts) {
      expect(['critical', 'warning']).toContain(rule.labels?.['severity']);
      expect(rule.annotations?.['summary']).toMatch(/\S/u);
      expect(rule.annotations?.['description']).toMatch(/\S/u);
      const runbook = rule.annotations?.['runbook_url'] ?? '';
      expect(runbook).toBe(`docs/OPERATIONS.md#${anchorOf(rule.alert ?? '')}`);
      expect(headings, `docs/OPERATIONS.md has a section ${rule.alert}`).toContain(anchorOf(rule.alert ?? ''));
      const section = OPERATIONS.split(/^### /mu).find((part) => part.startsWith(`${rule.alert}\n`)) ?? '';
      for (const part of ['What it means', 'What to check', 'What to do']) expect(section, `${rule.alert}: ${part}`).toContain(`**${part}**`);
    }
  });
});
