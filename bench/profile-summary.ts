import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { categorize } from './report/profile-categories.ts';

// Summarises `--cpu-prof` output of Node and Deno nodes (`npm run bench -- --profile <dir>` writes
// one file per node): self time by function and by package, summed over every profile in <dir>.
// Usage: node bench/dist/profile-summary.js [--phase full|rate] <dir> [top=25]
// `--phase` counts only the samples taken while that measured phase ran (the bench writes each
// phase's window to <dir>/phases.json when profiling): start-up, connecting and the probes left out.

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

interface Window {
  readonly fromUs: number;
  readonly toUs: number;
}

/** Each node's samples within `window` (µs of the monotonic clock the profile is stamped with), by node id. */
function hitsWithin(profile: Profile, window: Window): Map<number, number> {
  const hits = new Map<number, number>();
  const { samples = [], timeDeltas = [] } = profile;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    const id = samples[i] as number;
    if (at >= window.fromUs && at <= window.toUs) hits.set(id, (hits.get(id) ?? 0) + 1);
  }
  return hits;
}

function phaseWindow(dir: string, phase: string): Window {
  const file = join(dir, 'phases.json');
  if (!existsSync(file)) usage(`${file} does not exist: profile with a bench that writes it (npm run bench -- --profile <dir>)`);
  const window = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Window | undefined>)[phase];
  if (window === undefined) usage(`${file} has no '${phase}' phase`);
  return window;
}

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: node bench/dist/profile-summary.js [--phase full|rate] <dir> [top]\n`);
  process.exit(2);
}

/** Where a frame's code lives: an npm package, a Node built-in, a repo file, or a V8 pseudo-frame. */
function owner(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  // Deno: its built-in extensions by name, switchboard's TypeScript straight from src/.
  if (url.startsWith('ext:')) return url.split('/')[0] ?? url;
  const src = url.indexOf('/src/');
  if (url.startsWith('file://') && src >= 0 && !url.includes('/bench/')) return `switchboard ${url.slice(src + 1)}`;
  const bench = url.indexOf('/bench/dist/');
  if (bench >= 0) return `bench ${url.slice(bench + '/bench/dist/'.length)}`;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? `switchboard ${url.slice(dist + 1)}` : url;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { phase: { type: 'string' } } });
const [dir, topArg] = positionals;
if (dir === undefined) usage('no profile directory given');
if (values.phase !== undefined && values.phase !== 'full' && values.phase !== 'rate') usage(`Invalid --phase: expected full or rate: current value '${values.phase}'`);
const window = values.phase === undefined ? undefined : phaseWindow(dir, values.phase);
const top = Number(topArg ?? '25');
const byFunction = new Map<string, number>();
const byOwner = new Map<string, number>();
const byCategory = new Map<string, number>();
let total = 0;
const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
for (const file of files) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const within = window === undefined ? undefined : hitsWithin(profile, window);
  for (const node of profile.nodes) {
    const hits = within === undefined ? (node.hitCount ?? 0) : (within.get(node.id) ?? 0);
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || functionName === '(idle)') continue;
    total += hits;
    const where = owner(url, functionName);
    const name = `${functionName || '(anonymous)'}  ${where}${url === '' ? '' : `:${lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    byOwner.set(where, (byOwner.get(where) ?? 0) + hits);
    const category = categorize(where, functionName);
    byCategory.set(category, (byCategory.get(category) ?? 0) + hits);
  }
}

const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n\n| share | ${title.replace(/^By (\w+).*$/u, '$1')} |\n| ---: | --- |\n`);
  for (const [name, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`| ${((hits * 100) / total).toFixed(1)}% | ${name} |\n`);
  }
};
process.stdout.write(`${files.length} profiles, ${total} samples (idle excluded)${values.phase === undefined ? '' : `, ${values.phase} phase only`}\n`);
print('By category (self time)', byCategory);
print('By package (self time)', byOwner);
print('By function (self time)', byFunction);
