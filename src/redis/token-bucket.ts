/**
 * The sendMessage token bucket as a Lua function, for every script that takes a token: the
 * limiter's own script (`send-rate/redis-send-rate.ts`, Redis Cluster) and the bus's send script,
 * which takes it in the same step as the send where both keys are on one server (standalone,
 * Sentinel). One bucket per sender in a hash (`t` tokens, `at` last refill, ms of Redis's clock);
 * the key expires once the bucket would be full again.
 *
 * `take_token(key, rate, burst, now)` returns 0 when it took a token, else the milliseconds until one
 * is available (and changes nothing).
 */
export const TAKE_TOKEN_LUA = `
local function take_token(key, rate, burst, now)
  local state = redis.call('HMGET', key, 't', 'at')
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
  redis.call('HSET', key, 't', tostring(tokens - 1), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
  return 0
end
`;
