import { describe, expect, it } from 'vitest';
import { SmallMap } from '../../src/util/small-map.ts';

const a = { name: 'a' };
const b = { name: 'b' };
const c = { name: 'c' };

describe('SmallMap', () => {
  it('answers as a Map does through every size, a second set of a key replacing its value', () => {
    const map = new SmallMap<string, { name: string }>();
    expect([map.size, map.get('1'), map.has('1'), [...map.values()]]).toEqual([0, undefined, false, []]);
    map.set('1', a).set('1', b);
    expect([map.size, map.get('1'), map.has('1'), map.has('2'), [...map.values()]]).toEqual([1, b, true, false, [b]]);
    map.set('2', c).set('3', a).set('2', b);
    expect([map.size, map.get('1'), map.get('2'), map.get('3'), [...map.values()]]).toEqual([3, b, b, a, [b, b, a]]);
  });

  it('deletes only present keys, says whether it did, and keeps the entry left when it shrinks to one', () => {
    const map = new SmallMap<string, { name: string }>();
    expect(map.delete('1')).toBe(false);
    map.set('1', a);
    expect(map.delete('2')).toBe(false);
    expect(map.delete('1')).toBe(true);
    expect([map.size, map.has('1')]).toEqual([0, false]);
    map.set('1', a).set('2', b).set('3', c);
    expect(map.delete('2')).toBe(true);
    expect(map.delete('2')).toBe(false);
    expect(map.delete('1')).toBe(true);
    // Back to one entry: held bare again, still found and iterated.
    expect([map.size, map.get('3'), map.get('1'), [...map.values()]]).toEqual([1, c, undefined, [c]]);
    map.set('4', a);
    expect([...map.values()]).toEqual([c, a]);
  });

  it('clears at any size', () => {
    const one = new SmallMap<string, { name: string }>().set('1', a);
    const many = new SmallMap<string, { name: string }>().set('1', a).set('2', b);
    one.clear();
    many.clear();
    expect([one.size, many.size, one.get('1'), many.get('2'), [...many.values()]]).toEqual([0, 0, undefined, undefined, []]);
  });
});
