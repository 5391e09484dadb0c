import { afterAll, describe, expect, it } from 'vitest';
import { startRedisSentinels, type RedisSentinelSet } from '../helpers/redis-sentinel.ts';
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
});
