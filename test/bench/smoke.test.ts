import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMOKE_SYSTEMS } from '../../bench/orchestrator/systems.ts';
import type { Report } from '../../bench/orchestrator/types.ts';
import { compileProject } from '../helpers/compile.ts';

// The benchmark's smoke preset (`npm run bench:smoke`), as CI runs it: real redis-server, node
// processes of every system and load processes, a few hundred users for a few seconds. It checks that
// the suite runs and reports, and that every system delivered every message exactly once to its
// recipient; the figures themselves are never asserted (this machine's timings are not a contract).

const run = promisify(execFile);
let out: string;

beforeAll(() => {
  // src/ is compiled by the global setup; the suite compiles to bench/dist.
  compileProject('bench/tsconfig.json');
  out = mkdtempSync(join(tmpdir(), 'switchboard-bench-smoke-'));
}, 120_000);

afterAll(() => {
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
});

describe('bench:smoke', () => {
  it('runs every Node system and reference (mercurius included), delivers every message once to its recipient, and writes the JSON and Markdown report', async () => {
    // Niced: its processes saturate both cores for a while, and the suite's timing-sensitive tests
    // (send timeouts, failovers) run beside it. It asserts no timing, so it can wait its turn.
    const { stdout } = await run('nice', ['-n', '5', process.execPath, 'bench/dist/run.js', '--preset', 'smoke', '--out', out], {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 280_000,
    });
    const files = readdirSync(out);
    const json = files.find((file) => /^smoke-.*\.json$/u.test(file));
    const markdown = files.find((file) => /^smoke-.*\.md$/u.test(file));
    expect(json, `report files in ${out}: ${files.join(', ')}`).toBeDefined();
    expect(markdown).toBeDefined();

    const report = JSON.parse(readFileSync(join(out, json as string), 'utf8')) as Report;
    expect(report.runs.map((r) => r.system).sort()).toEqual([...SMOKE_SYSTEMS].sort());
    for (const result of report.runs) {
      const label = `${result.system}: ${[...result.failures, result.rateSkipped ?? ''].join('; ')}`;
      expect(result.failures, label).toEqual([]);
      for (const phase of [result.full, result.rate]) {
        expect(phase, label).toBeDefined();
        if (phase === undefined) continue;
        expect(phase.sent, label).toBeGreaterThan(0);
        expect(phase.delivered, label).toBe(phase.sent);
        expect([phase.sendErrors, phase.duplicates, phase.misrouted], label).toEqual([0, 0, 0]);
        expect(phase.cpuMsPer1k, label).toBeGreaterThan(0);
      }
      expect(result.rssPerUserKib, label).toEqual(expect.any(Number));
    }
    // Redis deliveries per message, from the nodes' own counters: one per message with user routing,
    // one per node with broadcast routing (2 nodes in the smoke scenario).
    const bus = (system: string) => report.runs.find((r) => r.system === system)?.full?.busDeliveriesPerMessage;
    expect(bus('switchboard-user')).toBeCloseTo(1, 1);
    expect(bus('switchboard-broadcast')).toBeCloseTo(2, 1);
    // mercurius: one mqemitter-redis topic per recipient, so only the recipient's node receives it.
    expect(bus('mercurius')).toBeCloseTo(1, 1);

    const table = readFileSync(join(out, markdown as string), 'utf8');
    for (const system of SMOKE_SYSTEMS) expect(table).toContain(system);
    expect(stdout).toContain(`report: ${join(out, json as string).replace(/\.json$/u, '')}`);
  }, 300_000);

  it('runs the node-capacity shape (one node, fixed rate from the first second, no full-speed phase) and reports latency per second of load', async () => {
    // A few hundred sockets instead of 18,000 and a low rate: the flow and the report, not capacity.
    const dir = join(out, 'capacity');
    const args = ['--preset', 'node-capacity', '--users', '300', '--rate', '50', '--rate-seconds', '2', '--repeat', '1', '--quiet-wait', '0', '--systems', 'switchboard-user,floor'];
    await run('nice', ['-n', '5', process.execPath, 'bench/dist/run.js', ...args, '--out', dir], { maxBuffer: 16 * 1024 * 1024, timeout: 170_000 });
    const json = readdirSync(dir).find((file) => /^node-capacity-.*\.json$/u.test(file));
    expect(json, `report files in ${dir}`).toBeDefined();
    const report = JSON.parse(readFileSync(join(dir, json as string), 'utf8')) as Report;
    expect(report.runs.map((r) => r.system)).toEqual(['switchboard-user', 'floor']);
    for (const result of report.runs) {
      const label = `${result.system}: ${result.failures.join('; ')}`;
      expect(result.failures, label).toEqual([]);
      expect(result.full, label).toBeUndefined();
      const rate = result.rate;
      expect(rate, label).toBeDefined();
      if (rate === undefined) continue;
      // 50 msg/s for 2 s over 3 load processes: 33 each.
      expect([rate.issued, rate.sent, rate.delivered, rate.sendErrors], label).toEqual([99, 99, 99, 0]);
      expect(rate.perSecond?.reduce((total, second) => total + second.count, 0), label).toBe(99);
      expect(result.rssPerUserKib, label).toEqual(expect.any(Number));
    }
    const markdown = readFileSync(join(dir, (json as string).replace(/\.json$/u, '.md')), 'utf8');
    expect(markdown).toContain('p99 per second of load');
    expect(markdown).toContain('Delivery p99 ≤ 50 ms from the first second of load');
  }, 180_000);
});
