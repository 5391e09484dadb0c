import type { Report } from '../orchestrator/types.ts';
import { isCapacityReport, renderCapacityTable, renderPerSecondTable } from './render-capacity.ts';
import { renderFailures, renderTable, renderWarnings } from './render-table.ts';
import { renderIssue12Targets } from './targets-issue-12.ts';
import { renderTargets } from './targets.ts';

/**
 * The whole Markdown report: machine, command, settings, the comparison, failures, the targets
 * (issue 12's; issue 4's too for a matrix report). A node-capacity report has its own table.
 */
export function renderReport(report: Report): string {
  const m = report.machine;
  const s = report.settings;
  const capacity = isCapacityReport(report);
  const load = capacity
    ? `no warm-up, no full-speed phase: fixed rate = ${s.rate} msg/s for ${s.rateSeconds} s right after the probes`
    : `full speed = ${s.messages} messages or ${s.fullSeconds} s with at most ${s.window} outstanding; fixed rate = ${s.rate} msg/s for ${s.rateSeconds} s; warm-up ${s.warmupMessages} messages`;
  const sources = (s.sourceAddresses ?? 0) > 0 ? `, sockets spread over ${s.sourceAddresses} source addresses` : '';
  return `Run ${report.startedAt} → ${report.finishedAt}

- Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGib} GiB, Linux ${m.kernel}, Node ${m.node}, Redis ${m.redis}, open files ${m.openFileLimit}
- Command: \`${report.command}\`
- Switchboard: ${report.switchboard}
- Load: ${s.loadProcesses} load processes${sources}; ${load}; seed ${s.seed}${s.repeat > 1 ? `; every figure is the median of ${s.repeat} runs (counts are sums)` : ''}

${capacity ? `${renderCapacityTable(report)}\n\n${renderPerSecondTable(report)}` : renderTable(report)}

${renderFailures(report)}
${renderWarnings(report)}
#### Targets (issue 12)

${renderIssue12Targets(report)}
${capacity ? '' : `\n#### Targets (issue 4)\n\n${renderTargets(report)}\n`}`;
}
