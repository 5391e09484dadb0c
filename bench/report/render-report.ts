import type { Report } from '../orchestrator/types.ts';
import { renderFailures, renderTable, renderWarnings } from './render-table.ts';
import { renderTargets } from './targets.ts';

/** The whole Markdown report: machine, command, settings, the comparison, the targets, failures. */
export function renderReport(report: Report): string {
  const m = report.machine;
  const s = report.settings;
  return `Run ${report.startedAt} → ${report.finishedAt}

- Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGib} GiB, Linux ${m.kernel}, Node ${m.node}, Redis ${m.redis}, open files ${m.openFileLimit}
- Command: \`${report.command}\`
- Switchboard: ${report.switchboard}
- Load: ${s.loadProcesses} load processes; full speed = ${s.messages} messages or ${s.fullSeconds} s with at most ${s.window} outstanding; fixed rate = ${s.rate} msg/s for ${s.rateSeconds} s; warm-up ${s.warmupMessages} messages; seed ${s.seed}${s.repeat > 1 ? `; every figure is the median of ${s.repeat} runs (counts are sums)` : ''}

${renderTable(report)}

${renderFailures(report)}
${renderWarnings(report)}
#### Targets (issue 4)

${renderTargets(report)}
`;
}
