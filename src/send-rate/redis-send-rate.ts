import type { RedisConnection } from '../redis/connection.ts';
import { keys } from '../redis/keys.ts';
import { TAKE_TOKEN_LUA } from '../redis/token-bucket.ts';
import { createFaultLog } from '../util/fault-log.ts';
import { classifyRedisError, describeError } from '../redis/faults.ts';
import type { Logger } from '../util/logger.ts';
import type { BucketOptions, SendRateLimiter } from './send-rate.ts';

/**
 * Takes one token from the sender's bucket (redis/token-bucket.ts) with Redis's own clock, so every
 * node shares the bucket and no node's clock matters. Returns 0 when a token was taken, else the
 * milliseconds until one is available.
 */
const SEND_RATE_SCRIPT = `${TAKE_TOKEN_LUA}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return take_token(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), now)
`;

type Scripted = RedisConnection & { sbSendRate(key: string, rate: string, burst: string): Promise<number> };

/**
 * The cluster-wide limiter on `commands`, one round trip of its own before the send: used on a Redis
 * Cluster, where the sender's bucket and the recipient's stream live in two slots (elsewhere the bus
 * takes the token inside its send script: `RedisBusOptions.sendRate`). `commands` is the node's
 * Redis link's command connection, which follows Sentinel failovers and Cluster topology with the
 * bus's; its owner closes it. When Redis does not
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
