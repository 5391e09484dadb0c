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

/**
 * `compareCursors` for ids known to be well formed (ids Redis or the memory bus made, or a cursor
 * `parseCursor` accepted): the same order, read off the digits in place — no match, no BigInt and
 * no object per call, for it runs once per message and stream.
 */
export function compareIds(a: string, b: string): number {
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  return compareDigits(a, 0, dashA, b, 0, dashB) || compareDigits(a, dashA + 1, a.length, b, dashB + 1, b.length);
}

const ZERO = 48;

/** Compares the decimal numbers `a[aFrom, aTo)` and `b[bFrom, bTo)`, leading zeros and all: the sign of a − b. */
function compareDigits(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): number {
  while (aFrom < aTo - 1 && a.charCodeAt(aFrom) === ZERO) aFrom += 1;
  while (bFrom < bTo - 1 && b.charCodeAt(bFrom) === ZERO) bFrom += 1;
  // Without leading zeros, the longer number is the larger; of equal length, the first digit that differs says.
  const longer = aTo - aFrom - (bTo - bFrom);
  if (longer !== 0) return longer;
  for (; aFrom < aTo; aFrom += 1, bFrom += 1) {
    const digit = a.charCodeAt(aFrom) - b.charCodeAt(bFrom);
    if (digit !== 0) return digit;
  }
  return 0;
}

/** The id just before every entry appended at or after `ms`: a cursor that resumes from that time. */
export function cursorBefore(ms: number): string {
  return `${ms - 1}-${MAX_SEQ}`;
}
