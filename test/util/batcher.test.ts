import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/util/batcher.ts';

/** A promise and the function that settles it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('createBatcher', () => {
  it('sends a lone item at once and the items that arrive while it is in flight together in the next call', async () => {
    const calls: string[][] = [];
    const gates: Array<() => void> = [];
    const batch = createBatcher<string, string>(async (items) => {
      calls.push([...items]);
      const gate = deferred();
      gates.push(gate.resolve);
      await gate.promise;
      return items.map((item) => item.toUpperCase());
    });
    const first = batch('a');
    await Promise.resolve();
    const later = [batch('b'), batch('c'), batch('d')];
    expect(calls).toEqual([['a']]);
    gates[0]?.();
    expect(await first).toBe('A');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls).toEqual([['a'], ['b', 'c', 'd']]);
    gates[1]?.();
    expect(await Promise.all(later)).toEqual(['B', 'C', 'D']);
  });

  it('shares one call among items asked for in the same synchronous run, at most maxBatch per call', async () => {
    const calls: number[][] = [];
    const batch = createBatcher<number, number>(async (items) => {
      calls.push([...items]);
      return items.map((item) => item * 2);
    }, 2);
    expect(await Promise.all([batch(1), batch(2), batch(3)])).toEqual([2, 4, 6]);
    expect(calls).toEqual([[1, 2], [3]]);
  });

  it('rejects every item of a failed call with its error, and goes on with the next', async () => {
    let fail = true;
    const batch = createBatcher<string, string>(async (items) => {
      if (fail) {
        fail = false;
        throw new Error('Redis did not answer');
      }
      return [...items];
    });
    const failed = [batch('a'), batch('b')];
    await expect(failed[0]).rejects.toThrow('Redis did not answer');
    await expect(failed[1]).rejects.toThrow('Redis did not answer');
    expect(await batch('c')).toBe('c');
  });
});
