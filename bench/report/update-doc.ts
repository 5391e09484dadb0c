import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces the generated block `block` of `path` (between the `<!-- bench:<block>:start -->` and
 * `<!-- bench:<block>:end -->` markers; `results` by default) with `markdown`.
 * @throws when the file has no such block.
 */
export function updateDoc(path: string, markdown: string, block = 'results'): void {
  const START = `<!-- bench:${block}:start -->`;
  const END = `<!-- bench:${block}:end -->`;
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`Cannot update ${path}: it has no ${START} … ${END} block`);
  writeFileSync(path, `${text.slice(0, start + START.length)}\n${markdown}\n${text.slice(end)}`);
}
