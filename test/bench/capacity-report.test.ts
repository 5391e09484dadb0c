import { describe, expect, it } from 'vitest';
import { summarize, summarizeBySecond } from '../../bench/lib/stats.ts';
import { sourceAddress } from '../../bench/load/source-address.ts';
import { parseOptions } from '../../bench/orchestrator/options.ts';
import type { SystemName } from '../../bench/orchestrator/systems.ts';
import type { PhaseSummary, Report, RunResult } from '../../bench/orchestrator/types.ts';
import { renderCapacityTable, renderPerSecondTable } from '../../bench/report/render-capacity.ts';
import { renderIssue12Targets } from '../../bench/report/targets-issue-12.ts';

// The node-capacity preset's own arithmetic, without starting anything: per-second latency, source
// addresses, the preset's settings and the issue-12 verdicts computed from a report.

describe('summarizeBySecond', () => {
  it('puts each latency in the second its message was sent, counted from the origin, with empty seconds kept', () => {
    const seconds = summarizeBySecond([5, 7, 300, 9], [1000.5, 1999, 3100, 3900], 1000);
    expect(seconds.map((s) => s.count)).toEqual([2, 0, 2]);
    expect(seconds[0]).toEqual(summarize([5, 7]));
    expect(seconds[2]?.max).toBe(300);
  });
});

describe('sourceAddress', () => {
  it('spreads users round-robin over 127.0.x.y from 127.0.1.1, and leaves the choice to the kernel with 0', () => {
    expect([0, 1, 2, 3].map((i) => sourceAddress(i, 3))).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.1']);
    expect(sourceAddress(254, 300)).toBe('127.0.2.1');
    expect(sourceAddress(5, 0)).toBeUndefined();
  });

  it('refuses a count it cannot spell as loopback addresses, naming the value', () => {
    expect(() => sourceAddress(0, -1)).toThrow(/current value -1$/u);
  });
});

describe('the node-capacity preset', () => {
  it('runs one node with 18,000 sockets at 1,000 msg/s for 20 s, without a full-speed phase, next to the floor and Mercurius, 3 times', () => {
    const { scenarios, systems, settings } = parseOptions(['--preset', 'node-capacity']);
    expect(scenarios).toEqual([{ users: 18_000, nodes: 1, bodyBytes: 100 }]);
    expect(systems).toEqual(['switchboard-user', 'floor', 'mercurius']);
    expect(settings).toMatchObject({ fullSpeed: false, rate: 1000, rateSeconds: 20, repeat: 3 });
    expect(settings.loadProcesses).toBeGreaterThan(1);
    expect(settings.sourceAddresses).toBeGreaterThan(1);
  });

  it('rejects an unknown preset with the names it accepts', () => {
    expect(() => parseOptions(['--preset', 'huge'])).toThrow("Invalid --preset: expected matrix, smoke, node-capacity: current value 'huge'");
  });
});

const latency = (p99: number) => ({ count: 1000, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2 });

function capacityRun(system: SystemName, secondsP99: number[], rssPerUserKib: number, sendErrors = 0): RunResult {
  const rate: PhaseSummary = {
    kind: 'rate', issued: 20_000, sent: 20_000 - sendErrors, delivered: 20_000 - sendErrors, sendErrors, duplicates: 0, misrouted: 0,
    drained: true, throughput: 1000, durationMs: 20_000, latency: latency(Math.max(...secondsP99)), perSecond: secondsP99.map(latency),
    worstSecondP99: Math.max(...secondsP99), cpuMsPer1k: 300, nodeCpuMs: 6000, redisCpuMs: 0, loadCpuMs: 0, foreignCpuMs: 0,
    busDeliveriesPerMessage: 1, redisOutBytesPerMessage: 300, maxLagMs: 0, problems: [],
  };
  return {
    system, scenario: { users: 18_000, nodes: 1, bodyBytes: 100 }, rate, rssPerUserKib, connectMs: 9000,
    failures: sendErrors > 0 ? [`fixed-rate: ${sendErrors} sends failed`] : [], warnings: [],
  };
}

function capacityReport(runs: RunResult[]): Report {
  const { settings } = parseOptions(['--preset', 'node-capacity']);
  const machine = { cpus: 2, cpuModel: 'test', memoryGib: 1, kernel: 'test', node: 'v20', redis: '7', openFileLimit: 20_000 };
  return { startedAt: '', finishedAt: '', command: 'test', machine, switchboard: 'test', settings, runs };
}

const verdictOf = (markdown: string, target: string) =>
  markdown.split('\n').find((line) => line.startsWith(`| ${target}`))?.split(' | ').at(-1)?.replace(/ \|$/u, '');

describe('issue 12 node-capacity targets', () => {
  it('meet the latency target only when every second of load, the first included, has p99 ≤ 50 ms', () => {
    const slowStart = capacityReport([capacityRun('switchboard-user', [400, 20, 10], 9), capacityRun('floor', [30, 12, 9], 6)]);
    const steady = capacityReport([capacityRun('switchboard-user', [40, 20, 10], 9), capacityRun('floor', [30, 12, 9], 6)]);
    expect(verdictOf(renderIssue12Targets(slowStart), 'Delivery p99')).toBe('**not met**');
    expect(verdictOf(renderIssue12Targets(steady), 'Delivery p99')).toBe('met');
  });

  it('accept a p99 above 50 ms when it is within 2× the floor in the same run (the box stalled both)', () => {
    const stalled = capacityReport([capacityRun('switchboard-user', [150, 20], 9), capacityRun('floor', [90, 12], 6)]);
    expect(verdictOf(renderIssue12Targets(stalled), 'Delivery p99')).toBe('met (≤ 2× the floor: the box stalled both)');
  });

  it('fail on one failed send and on RSS per socket above 1.6× the floor', () => {
    const markdown = renderIssue12Targets(capacityReport([capacityRun('switchboard-user', [10], 10, 1), capacityRun('floor', [10], 6)]));
    expect(verdictOf(markdown, 'No failed send')).toBe('**not met**');
    expect(verdictOf(markdown, 'RSS per socket')).toBe('**not met**');
    expect(verdictOf(markdown, 'Every switchboard row')).toBe('**not met**');
  });

  it('list the p99 of every second of load in the capacity table', () => {
    const table = renderCapacityTable(capacityReport([capacityRun('mercurius', [120, 35.5, 9.25], 58)]));
    expect(table).toContain('| 18k sockets · 1 node | mercurius | 9.00 | 58.0 |');
    expect(table).toContain('| 120 | 120 · 35.5 · 9.25 |');
  });

  it('give every second of load its own row with p50 / p99 / max of each system', () => {
    const report = capacityReport([capacityRun('switchboard-user', [80, 20], 9), capacityRun('floor', [30], 6)]);
    const lines = renderPerSecondTable(report).split('\n');
    expect(lines[0]).toBe('| second of load | switchboard-user: p50 / p99 / max (ms) | floor: p50 / p99 / max (ms) |');
    expect(lines.slice(2)).toEqual(['| 1 | 20.0 / 80.0 / 160 | 7.50 / 30.0 / 60.0 |', '| 2 | 5.00 / 20.0 / 40.0 | — |']);
  });
});
