import { readFileSync, writeFileSync } from 'node:fs';
import type { Report } from './orchestrator/types.ts';
import { renderReport } from './report/render-report.ts';
import { updateDoc } from './report/update-doc.ts';

// Renders a saved report again: node bench/dist/render.js bench/results/<stamp>.json [--write-doc]
// Writes <stamp>.md next to the JSON and prints it; --write-doc also replaces the results block of
// BENCHMARKS.md (run from the repository root): the node-capacity block for a node-capacity report.

const [path, flag] = process.argv.slice(2);
if (path === undefined || !path.endsWith('.json')) {
  process.stderr.write('usage: node bench/dist/render.js <report.json> [--write-doc]\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
const markdown = renderReport(report);
writeFileSync(path.replace(/\.json$/u, '.md'), markdown);
if (flag === '--write-doc') updateDoc('BENCHMARKS.md', markdown, report.settings.fullSpeed === false ? 'capacity' : 'results');
process.stdout.write(markdown);
