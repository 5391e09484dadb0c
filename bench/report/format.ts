/** Number formatting shared by the Markdown renderers. */

/** `value` with about three significant digits, or `n/a`. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Users as `1k`, `20k`, or the plain number below 1,000. */
export const users = (count: number): string => (count >= 1000 && count % 1000 === 0 ? `${count / 1000}k` : String(count));

/** Body size as `100 B` or `4 KiB`. */
export const bytes = (count: number): string => (count >= 1024 && count % 1024 === 0 ? `${count / 1024} KiB` : `${count} B`);

/** A Markdown table from a header and rows. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
