import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/**
 * Replaces the generated block of `path` (between the bench:results markers) with `markdown`.
 * @throws when the file has no such block.
 */
export function updateDoc(path: string, markdown: string): void {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`Cannot update ${path}: it has no ${START} … ${END} block`);
  writeFileSync(path, `${text.slice(0, start + START.length)}\n${markdown}\n${text.slice(end)}`);
}
