import { describe, expect, it } from 'vitest';
import { SmallSet } from '../../src/util/small-set.ts';

const a = { name: 'a' };
const b = { name: 'b' };
const c = { name: 'c' };

describe('SmallSet', () => {
  it('answers as a Set does, by identity, through every size', () => {
    const set = new SmallSet<{ name: string }>();
    expect([set.size, set.has(a), [...set]]).toEqual([0, false, []]);
    set.add(a).add(a);
    expect([set.size, set.has(a), set.has({ name: 'a' }), [...set]]).toEqual([1, true, false, [a]]);
    set.add(b).add(c).add(b);
    expect([set.size, [...set]]).toEqual([3, [a, b, c]]);
    expect([set.has(a), set.has(b), set.has(c)]).toEqual([true, true, true]);
  });

  it('deletes only members, and says whether it did, down to empty and up again', () => {
    const set = new SmallSet<{ name: string }>();
    expect(set.delete(a)).toBe(false);
    set.add(a).add(b).add(c);
    expect(set.delete({ name: 'b' })).toBe(false);
    expect(set.delete(b)).toBe(true);
    expect(set.delete(b)).toBe(false);
    expect([set.size, [...set]]).toEqual([2, [a, c]]);
    expect(set.delete(a)).toBe(true);
    // Back to one member: held bare again, still found and iterated.
    expect([set.size, set.has(c), set.has(a), [...set]]).toEqual([1, true, false, [c]]);
    expect(set.delete(a)).toBe(false);
    expect(set.delete(c)).toBe(true);
    expect([set.size, set.has(c), [...set]]).toEqual([0, false, []]);
    set.add(b).add(a);
    expect([set.size, [...set]]).toEqual([2, [b, a]]);
  });

  it('lets a caller delete members while it walks a copy, as the hub and the session list do', () => {
    const set = new SmallSet<{ name: string }>().add(a).add(b).add(c);
    for (const member of [...set]) set.delete(member);
    expect([set.size, [...set]]).toEqual([0, []]);
  });
});
