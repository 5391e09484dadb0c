import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/bus/batcher.ts';
import { createReadLimiter } from '../../src/bus/read-limiter.ts';

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

describe('createReadLimiter', () => {
  it('keeps at most `concurrency` reads outstanding and starts the waiting ones in arrival order', async () => {
    const limit = createReadLimiter(2);
    const gates = new Map<number, () => void>();
    const started: number[] = [];
    const read = (n: number) =>
      limit(async () => {
        started.push(n);
        const gate = deferred();
        gates.set(n, gate.resolve);
        await gate.promise;
        return n;
      });
    const reads = [1, 2, 3, 4].map(read);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual([1, 2]);
    gates.get(2)?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual([1, 2, 3]);
    // A read arriving now waits behind 4: the finished read's slot went to 3, not to the newcomer.
    const fifth = read(5);
    gates.get(1)?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual([1, 2, 3, 4]);
    for (const n of [3, 4]) gates.get(n)?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    gates.get(5)?.();
    expect(await Promise.all([...reads, fifth])).toEqual([1, 2, 3, 4, 5]);
  });

  it('frees the slot of a read that failed', async () => {
    const limit = createReadLimiter(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit(() => Promise.resolve('next'))).toBe('next');
  });
});
