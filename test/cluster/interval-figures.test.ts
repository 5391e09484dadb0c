import { describe, expect, it } from 'vitest';
import { intervalFigures, intervalQuantile } from '../../src/cluster/interval-figures.ts';
import { AdminAuth } from '../../src/transport/http/admin-auth.ts';
import type { NodeFigures } from '../../src/observability/node-figures.ts';

const figures = (sent: number, buckets: Array<[number, number]>): NodeFigures => ({
  sent,
  delivered: sent * 2,
  dropped: 0,
  latencyBuckets: buckets,
  rssBytes: 0,
});

describe('a heartbeat’s figures over its interval', () => {
  it('quantiles come from the observations added in the interval only, interpolated inside their bucket', () => {
    const before: Array<[number, number]> = [[0.001, 100], [0.01, 100], [0.1, 100], [Number.POSITIVE_INFINITY, 100]];
    // 10 new observations: 8 in (1 ms, 10 ms], 2 in (10 ms, 100 ms].
    const now: Array<[number, number]> = [[0.001, 100], [0.01, 108], [0.1, 110], [Number.POSITIVE_INFINITY, 110]];
    expect(intervalQuantile(now, before, 0.5)).toBeCloseTo(0.001 + (0.009 * 5) / 8);
    expect(intervalQuantile(now, before, 0.99)).toBeCloseTo(0.01 + (0.09 * 1.9) / 2);
    expect(intervalQuantile(before, before, 0.5)).toBeNull();
  });

  it('an observation past the last finite bucket reads as that bound', () => {
    expect(intervalQuantile([[0.1, 0], [Number.POSITIVE_INFINITY, 4]], [[0.1, 0], [Number.POSITIVE_INFINITY, 0]], 0.99)).toBe(0.1);
  });

  it('rates are the counters’ difference per second; the first heartbeat has none', () => {
    const buckets: Array<[number, number]> = [[Number.POSITIVE_INFINITY, 0]];
    expect(intervalFigures(figures(10, buckets), undefined, 0)).toEqual({ sentPerSecond: 0, deliveredPerSecond: 0, droppedPerSecond: 0, p50Ms: null, p99Ms: null });
    expect(intervalFigures(figures(60, buckets), figures(10, buckets), 5)).toMatchObject({ sentPerSecond: 10, deliveredPerSecond: 20 });
  });
});

describe('the admin token check', () => {
  it('accepts the token, refuses others, and after ten failures refuses the address for the rest of the minute', async () => {
    let now = 0;
    const auth = new AdminAuth('t'.repeat(32), () => now);
    expect(await auth.check(`Bearer ${'t'.repeat(32)}`, 'x')).toEqual({ ok: true });
    expect(await auth.check(`Bearer ${'t'.repeat(31)}`, 'x')).toEqual({ ok: false });
    expect(await auth.check(null, 'x')).toEqual({ ok: false });
    for (let i = 0; i < 8; i += 1) await auth.check('Bearer nope', 'x');
    expect(await auth.check(`Bearer ${'t'.repeat(32)}`, 'x')).toEqual({ ok: false, retryAfterMs: 60_000 });
    expect(await auth.check(`Bearer ${'t'.repeat(32)}`, 'y')).toEqual({ ok: true });
    now = 60_000;
    expect(await auth.check(`Bearer ${'t'.repeat(32)}`, 'x')).toEqual({ ok: true });
  });
});
