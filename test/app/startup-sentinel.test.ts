import { afterAll, describe, expect, it } from 'vitest';
import { startRedisSentinels, type RedisSentinelSet } from '../helpers/redis-sentinel.ts';
import { runService, STACK_FRAME } from '../helpers/service-run.ts';
import { READY_BOUND_MS, startBeforeRedis } from '../helpers/start-before-redis.ts';

describe('a node that starts before its Redis Sentinel set', () => {
  let sentinels: RedisSentinelSet | undefined;
  afterAll(() => sentinels?.stop());

  it('serves /health at once, waits with one line (not ready, upgrades 503, sends UNAVAILABLE), then becomes ready by itself and delivers', async () => {
    const { readyMs } = await startBeforeRedis({
      variable: 'REDIS_SENTINELS',
      env: (forward) => ({ REDIS_SENTINELS: forward.address, REDIS_SENTINEL_NAME: 'switchboard' }),
      async bringUp() {
        sentinels = await startRedisSentinels();
        expect(sentinels.name).toBe('switchboard');
        return Number(sentinels.sentinelsEnv.split(',')[0]?.split(':')[1]);
      },
    });
    expect(readyMs).toBeLessThan(READY_BOUND_MS);
  });

  it('says so when the sentinels answer but monitor no primary of that name, and exits 69 past STARTUP_TIMEOUT_MS', async () => {
    sentinels ??= await startRedisSentinels();
    const service = runService({ REDIS_SENTINELS: sentinels.sentinelsEnv, REDIS_SENTINEL_NAME: 'no-such-primary', STARTUP_TIMEOUT_MS: '2000' });
    expect(await service.exited).toBe(69);
    const waiting = service.logs.filter((line) => String(line.msg).startsWith('waiting for Redis'));
    expect(waiting.map((line) => line.msg)).toEqual([
      "waiting for Redis (REDIS_SENTINELS): the sentinels answer, but none of them names a primary called 'no-such-primary': retrying with backoff, at most 2000 ms apart; /ready answers 503 until connected",
    ]);
    expect(service.logs.filter((line) => line.level === 60).map((line) => line.msg)).toEqual([
      "Cannot start: Redis (REDIS_SENTINELS) was not reachable within STARTUP_TIMEOUT_MS (2000 ms): the sentinels answer, but none of them names a primary called 'no-such-primary': check REDIS_SENTINEL_NAME: the sentinels must monitor a primary of that name ('sentinel monitor <name> …')",
    ]);
    expect(service.stderr).not.toMatch(STACK_FRAME);
  });
});
