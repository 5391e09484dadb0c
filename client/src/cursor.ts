const CURSOR = /^(\d+)-(\d+)$/u;

/**
 * Orders two message ids (cursors, `<ms>-<seq>`): negative when `a` comes first, 0 when equal,
 * positive after. Ids of one recipient grow strictly in delivery order, so "not after the last id
 * delivered" means "already delivered". Ids of another shape compare as strings.
 */
export function compareCursors(a: string, b: string): number {
  const left = CURSOR.exec(a);
  const right = CURSOR.exec(b);
  if (left === null || right === null) return a < b ? -1 : a > b ? 1 : 0;
  const [, ams = '', aseq = ''] = left;
  const [, bms = '', bseq = ''] = right;
  const ms = BigInt(ams) - BigInt(bms);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(aseq) - BigInt(bseq);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
