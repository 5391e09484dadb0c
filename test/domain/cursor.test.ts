import { describe, expect, it } from 'vitest';
import { compareCursors, compareIds, cursorBefore, parseCursor, type Cursor } from '../../src/domain/cursor.ts';
import { seededRandom } from '../../bench/lib/prng.ts';

const sign = (value: number) => Math.sign(value);

describe('compareIds', () => {
  it.each([
    ['1-0', '1-0', 0],
    ['1-0', '1-1', -1],
    ['2-0', '1-99', 1],
    ['9-0', '10-0', -1],
    ['10-5', '9-50', 1],
    ['1700000000000-0', '1700000000000-18446744073709551615', -1],
    ['0001-2', '1-2', 0],
    ['001-10', '1-9', 1],
    ['0-0', '00-000', 0],
    [cursorBefore(1700000000001), '1700000000000-5', 1],
  ])('%s against %s: %i', (a, b, expected) => {
    expect(sign(compareIds(a, b))).toBe(expected);
    expect(sign(compareIds(b, a))).toBe(0 - expected);
  });

  it('orders every well-formed pair as compareCursors does', () => {
    const random = seededRandom(24);
    const digits = (most: number) => {
      const length = 1 + Math.floor(random() * most);
      let text = '';
      for (let i = 0; i < length; i++) text += String(Math.floor(random() * 10));
      return text;
    };
    // Ids that share parts often, so equal and near-equal halves are well covered.
    const pool = Array.from({ length: 60 }, () => `${digits(15)}-${digits(20)}`).filter((id) => parseCursor(id) !== undefined);
    const ids = Array.from({ length: 400 }, (_, i) => {
      const [ms, seq] = (pool[i % pool.length] as string).split('-');
      const other = (pool[Math.floor(random() * pool.length)] as string).split('-');
      return random() < 0.5 ? `${ms}-${other[1]}` : `${other[0]}-${seq}`;
    });
    for (const a of ids) {
      for (const b of ids.slice(0, 50)) {
        const expected = sign(compareCursors(parseCursor(a) as Cursor, parseCursor(b) as Cursor));
        expect(sign(compareIds(a, b)), `${a} against ${b}`).toBe(expected);
      }
    }
  });
});
