import { compareCursors, parseCursor, type Cursor } from '../domain/cursor.ts';
import type { Message } from '../domain/message.ts';

/**
 * Whether messages after `cursor` may have been dropped by retention: something newer than the
 * cursor was trimmed (`maxDeleted`), or the cursor is older than the age limit, past which nothing
 * can be vouched for (the whole history may have expired and been recreated since).
 * Both buses decide with this one rule.
 */
export function isCursorExpired(cursor: Cursor, maxDeleted: Cursor | undefined, nowMs: number, ttlMs: number): boolean {
  if (maxDeleted !== undefined && compareCursors(cursor, maxDeleted) < 0) return true;
  return cursor.ms <= nowMs - ttlMs;
}

/** The cursor of a message id this service produced. */
export function cursorOf(message: Message): Cursor {
  const cursor = parseCursor(message.id);
  if (cursor === undefined) throw new Error(`Invalid message id: ${message.id}`);
  return cursor;
}

/** Index of the first entry after `cursor` in `entries` (ascending ids), or `entries.length`. */
export function indexAfter(entries: readonly Message[], cursor: Cursor): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareCursors(cursorOf(entries[middle] as Message), cursor) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
