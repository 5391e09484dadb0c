import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySendRate } from '../../src/send-rate/memory-send-rate.ts';
import { createRedisSendRate } from '../../src/send-rate/redis-send-rate.ts';
import type { SendRateLimiter } from '../../src/send-rate/send-rate.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { onOwnLink, standaloneLink } from '../helpers/redis-link.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';

async function takeMany(limiter: SendRateLimiter, userId: string, count: number): Promise<Array<number | undefined>> {
  const results: Array<number | undefined> = [];
  for (let i = 0; i < count; i += 1) results.push(await limiter.take(userId));
  return results;
}

describe('sendMessage token bucket in memory', () => {
  it('allows a burst, then refuses with the time until the next token, and refills at the rate', async () => {
    let now = 1_000_000;
    const limiter = createMemorySendRate({ perSecond: 2, burst: 3 }, () => now);
    expect(await takeMany(limiter, 'alice', 4)).toEqual([undefined, undefined, undefined, 500]);
    now += 250;
    expect(await limiter.take('alice')).toBe(250);
    now += 250;
    expect(await limiter.take('alice')).toBeUndefined();
    expect(await limiter.take('bob')).toBeUndefined(); // buckets are per user
  });
});

describe('sendMessage token bucket in Redis', () => {
  let redis: RedisProcess;
  const limiters: SendRateLimiter[] = [];
  /** A node's limiter: on a link of its own, started as the app starts it. */
  const limiter = async () => {
    const link = standaloneLink(redis.url, 500);
    const created = onOwnLink(link, (own) => createRedisSendRate({ commands: own.commands, perSecond: 1, burst: 3, logger: silentLogger }));
    limiters.push(created);
    await link.start();
    return created;
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(limiters.map((created) => created.close()));
    await redis.stop();
  });

  it('is one bucket per user across nodes, kept under the user hash tag', async () => {
    const [a, b] = await Promise.all([limiter(), limiter()]);
    expect(await takeMany(a, 'carol', 2)).toEqual([undefined, undefined]);
    const [third, fourth] = await takeMany(b, 'carol', 2);
    expect(third).toBeUndefined();
    expect(fourth).toBeGreaterThan(0);
    expect(fourth).toBeLessThanOrEqual(1000);
    expect(await redis.client.keys('*rate*')).toEqual(['sb:{u:carol}:rate:send']);
    expect(await redis.client.pttl('sb:{u:carol}:rate:send')).toBeGreaterThan(0);
  });

  it('fails open when Redis does not answer (the send itself then meets the same Redis)', async () => {
    const a = await limiter();
    redis.pause();
    try {
      expect(await takeMany(a, 'dave', 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    } finally {
      redis.resume();
    }
  });
});
