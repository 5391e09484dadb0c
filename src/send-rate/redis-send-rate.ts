import type { RedisConnection } from '../redis/connection.ts';
import { keys } from '../redis/keys.ts';
import { createFaultLog } from '../util/fault-log.ts';
import { classifyRedisError, describeError } from '../redis/faults.ts';
import type { Logger } from '../util/logger.ts';
import type { BucketOptions, SendRateLimiter } from './send-rate.ts';

/**
 * One token bucket per user in a Redis hash (`t` tokens, `at` last refill in ms), refilled and taken
 * in one script with Redis's own clock, so every node shares the bucket and no node's clock matters.
 * Returns 0 when a token was taken, else the milliseconds until one is available. The key expires
 * once the bucket would be full again.
 */
const SEND_RATE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + (math.max(0, now - at) / 1000) * rate)
end
if tokens < 1 then
  return math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 't', tostring(tokens - 1), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return 0
`;

type Scripted = RedisConnection & { sbSendRate(key: string, rate: string, burst: string): Promise<number> };

/**
 * The cluster-wide limiter on `commands` (the node's Redis link's command connection, which follows
 * Sentinel failovers and Cluster topology with the bus's; its owner closes it). When Redis does not
 * answer the send is allowed (fail open): the send itself then meets the same Redis and fails with
 * UNAVAILABLE if it is really down, and a limiter hiccup never blocks a healthy send path.
 */
export function createRedisSendRate(options: BucketOptions & { readonly commands: RedisConnection; readonly logger: Logger }): SendRateLimiter {
  const client = options.commands as Scripted;
  // When Redis is down or full every send's check fails: once per interval per class says it.
  const faults = createFaultLog(options.logger);
  client.defineCommand('sbSendRate', { numberOfKeys: 1, lua: SEND_RATE_SCRIPT });
  return {
    async take(userId) {
      try {
        const wait = await client.sbSendRate(keys.sendRate(userId), String(options.perSecond), String(options.burst));
        return wait > 0 ? wait : undefined;
      } catch (error) {
        const fault = classifyRedisError(error);
        faults.report(fault, { fault, err: describeError(error) }, 'send rate limit not checked: Redis did not answer');
        return undefined;
      }
    },
    async close() {},
  };
}
