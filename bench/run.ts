import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFileLimit } from './lib/proc-stats.ts';
import { installReaper } from './lib/reaper.ts';
import { parseOptions } from './orchestrator/options.ts';
import { runSystem } from './orchestrator/run-system.ts';
import { switchboardRevision } from './orchestrator/systems.ts';
import type { Report, RunResult } from './orchestrator/types.ts';
import { describeMachine } from './report/machine.ts';
import { num } from './report/format.ts';
import { renderReport } from './report/render-report.ts';
import { scenarioLabel } from './report/render-table.ts';
import { updateDoc } from './report/update-doc.ts';

// `npm run bench` / `npm run bench:smoke`: every scenario × every system, one after the other, then
// the JSON and Markdown report. Exits 1 when any run lost, duplicated or misrouted a message, or failed.

installReaper();
const options = parseOptions(process.argv.slice(2));
const { settings } = options;

const limit = openFileLimit();
const needed = Math.max(...options.scenarios.map((s) => Math.ceil(s.users / Math.min(s.nodes, settings.loadProcesses)))) + 500;
if (limit < needed) {
  process.stderr.write(`Cannot run: the open-file limit is ${limit} and this matrix needs about ${needed} per process: raise it (ulimit -n ${needed}) or use more --load-procs\n`);
  process.exit(2);
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const summary = (run: RunResult) => {
  const f = run.full;
  const head = `  ${run.system.padEnd(22)} connect ${num((run.connectMs ?? Number.NaN) / 1000)} s, RSS/user ${num(run.rssPerUserKib)} KiB`;
  const full = f === undefined ? '' : `, ${num(f.throughput)} msg/s, p99 ${num(f.latency.p99)} ms, CPU ${num(f.cpuMsPer1k)} ms/1k, bus ${num(f.busDeliveriesPerMessage)}/msg, delivered ${f.delivered}/${f.sent}`;
  const r = run.rate;
  const worst = r?.worstSecondP99 === undefined || settings.fullSpeed ? '' : ` (worst second ${num(r.worstSecondP99)} ms), CPU ${num(r.cpuMsPer1k)} ms/1k, failed sends ${r.sendErrors}`;
  const rate = r === undefined ? ` | rate: ${run.rateSkipped ?? 'n/a'}` : ` | @${settings.rate}/s p99 ${num(r.latency.p99)} ms${worst}, delivered ${r.delivered}/${r.sent}`;
  const wall = ` [${num((run.wallMs ?? 0) / 1000)} s, stop ${num((run.stopMs ?? 0) / 1000)} s]`;
  return `${head}${full}${rate}${wall}${run.failures.length > 0 ? `\n    ⚠ ${run.failures.join('\n    ⚠ ')}` : ''}`;
};

/** The npm script of each preset, for the report's command line. */
const SCRIPTS = { matrix: 'bench', smoke: 'bench:smoke', 'node-capacity': 'bench:capacity' } as const;

const report: Report = {
  startedAt: new Date().toISOString(),
  finishedAt: '',
  command: `${process.env['SWITCHBOARD_MAIN'] === undefined ? '' : `SWITCHBOARD_MAIN=${process.env['SWITCHBOARD_MAIN']} `}npm run ${SCRIPTS[options.preset]}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: describeMachine(),
  // Deno compiles src/ itself: its rows are always this checkout's, whatever SWITCHBOARD_MAIN says.
  switchboard: `${switchboardRevision()}${options.systems.includes('switchboard-deno') ? `; switchboard-deno runs ${process.cwd()}/src/ (SWITCHBOARD_MAIN does not apply to it)` : ''}`,
  settings,
  runs: [],
};
if (settings.profileDir !== undefined) mkdirSync(settings.profileDir, { recursive: true });

for (const scenario of options.scenarios) {
  for (let repeat = 1; repeat <= settings.repeat; repeat++) {
    log(`scenario ${scenarioLabel(scenario)}${settings.repeat > 1 ? `, run ${repeat} of ${settings.repeat}` : ''}`);
    // Systems take turns within a repeat, so slow drifts of the machine spread over all of them.
    for (const system of options.systems) {
      const run = await runSystem(system, scenario, settings);
      report.runs.push(run);
      log(summary(run));
    }
  }
}
report.finishedAt = new Date().toISOString();

const stamp = report.startedAt.replace(/[:.]/gu, '-');
const base = join(options.outDir, `${options.preset === 'matrix' ? '' : `${options.preset}-`}${stamp}`);
mkdirSync(options.outDir, { recursive: true });
const markdown = renderReport(report);
writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 1)}\n`);
writeFileSync(`${base}.md`, markdown);
// The node-capacity preset has its own generated block in BENCHMARKS.md.
if (options.writeDoc) updateDoc('BENCHMARKS.md', markdown, options.preset === 'node-capacity' ? 'capacity' : 'results');
log(`\n${markdown}`);
log(`report: ${base}.json, ${base}.md${options.writeDoc ? ', BENCHMARKS.md' : ''}`);

const failed = report.runs.filter((run) => run.failures.length > 0);
if (failed.length > 0) {
  log(`\n⚠ ${failed.length} of ${report.runs.length} runs FAILED (delivered != sent, errors, or aborted): see above`);
  process.exit(1);
}
