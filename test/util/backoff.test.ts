import { describe, expect, it } from 'vitest';
import { jitteredDelay, persist, RECONNECT_BASE_MS, RECONNECT_MAX_MS, reconnectDelay } from '../../src/util/backoff.ts';

describe('reconnect backoff', () => {
  it('doubles from the base up to the cap, with the lower half fixed and the upper half random', () => {
    const low = () => 0;
    const high = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 50].map((attempt) => jitteredDelay(attempt, low))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3, 4, 5, 6, 50].map((attempt) => jitteredDelay(attempt, high))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(jitteredDelay(1, low)).toBe(RECONNECT_BASE_MS / 2);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    for (let attempt = 1; attempt < 2000; attempt++) {
      const delay = reconnectDelay(attempt);
      expect(delay).toBeGreaterThanOrEqual(RECONNECT_BASE_MS / 2);
      expect(delay).toBeLessThanOrEqual(RECONNECT_MAX_MS);
    }
  });

  it('persist retries until the attempt succeeds, and gives up at once on a fatal error', async () => {
    let calls = 0;
    const value = await persist(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('not yet');
        return 'done';
      },
      { isFatal: () => false, stopped: () => false },
    );
    expect([value, calls]).toEqual(['done', 3]);
    await expect(persist(() => Promise.reject(new Error('NOPERM')), { isFatal: () => true, stopped: () => false })).rejects.toThrow('NOPERM');
  });
});
