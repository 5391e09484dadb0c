/**
 * Message ids double as the recipient's cursor: `<ms>-<seq>`, the Redis stream entry id format, which
 * the memory bus produces too. Ids of one recipient grow strictly.
 */
export interface Cursor {
  readonly ms: number;
  readonly seq: bigint;
}

const PATTERN = /^(\d{1,15})-(\d{1,20})$/u;
const MAX_SEQ = (1n << 64n) - 1n;

/** Parses an id, or returns `undefined` when it is not of the form `<ms>-<seq>`. */
export function parseCursor(id: string): Cursor | undefined {
  const match = PATTERN.exec(id);
  if (match === null) return undefined;
  const seq = BigInt(match[2] as string);
  if (seq > MAX_SEQ) return undefined;
  return { ms: Number(match[1]), seq };
}

/** Negative when `a` comes before `b`, zero when equal, positive after. */
export function compareCursors(a: Cursor, b: Cursor): number {
  if (a.ms !== b.ms) return a.ms - b.ms;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

/** `compareCursors` for ids known to be well formed (ids this service produced). */
export function compareIds(a: string, b: string): number {
  return compareCursors(parseCursor(a) as Cursor, parseCursor(b) as Cursor);
}

/** The id just before every entry appended at or after `ms`: a cursor that resumes from that time. */
export function cursorBefore(ms: number): string {
  return `${ms - 1}-${MAX_SEQ}`;
}
