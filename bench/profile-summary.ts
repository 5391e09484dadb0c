import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { categorize } from './report/profile-categories.ts';

// Summarises `--cpu-prof` output of Node and Deno nodes (`npm run bench -- --profile <dir>` writes
// one file per node): self time by function and by package, summed over every profile in <dir>.
// Usage: node bench/dist/profile-summary.js <dir> [top=25]

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
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

const [dir, topArg] = process.argv.slice(2);
if (dir === undefined) {
  process.stderr.write('usage: node bench/dist/profile-summary.js <dir> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? '25');
const byFunction = new Map<string, number>();
const byOwner = new Map<string, number>();
const byCategory = new Map<string, number>();
let total = 0;
const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
for (const file of files) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
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
process.stdout.write(`${files.length} profiles, ${total} samples (idle excluded)\n`);
print('By category (self time)', byCategory);
print('By package (self time)', byOwner);
print('By function (self time)', byFunction);
