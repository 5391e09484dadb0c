import { TAKE_TOKEN_LUA } from '../redis/token-bucket.ts';

/**
 * The Lua scripts the Redis bus runs. Each touches only keys of one user (one hash slot), so they
 * also run unchanged on a Redis Cluster shard.
 *
 * Keys of a recipient: the stream (history; entry ids are message ids) and the "trimmed" watermark,
 * the newest id retention has dropped. The watermark is ours because Redis 7.0 does not update
 * XINFO's max-deleted-entry-id when trimming, and 6.2 has no such field.
 */

const HELPERS = `
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, bm = tonumber(am), tonumber(bm)
  if am ~= bm then return am < bm end
  if #as ~= #bs then return #as < #bs end
  return as < bs
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Drops entries beyond maxlen and older than ttl, moving the watermark to the newest dropped id.
local function trim(stream, trimmed, maxlen, ttl, now)
  local newest
  local excess = redis.call('XLEN', stream) - maxlen
  if excess > 0 then
    local victims = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
    newest = victims[#victims][1]
  end
  local minid = now - ttl + 1
  local old = redis.call('XREVRANGE', stream, '(' .. minid .. '-0', '-', 'COUNT', 1)
  if old[1] and (newest == nil or before(newest, old[1][1])) then newest = old[1][1] end
  if newest then
    -- MINID keeps ids >= its argument; XTRIM has no exclusive form, so aim just past newest.
    local ms, seq = string.match(newest, '^(%d+)-(%d+)$')
    redis.call('XTRIM', stream, 'MINID', ms .. '-' .. string.format('%d', tonumber(seq) + 1))
    redis.call('SET', trimmed, newest, 'PX', ttl)
  end
end
`;

/**
 * Appends a message to the recipient's stream and publishes it, atomically; idempotent by key; and,
 * with a rate, takes a token from the sender's bucket first (redis/token-bucket.ts), so one round
 * trip both checks the limit and sends. Only on one server: on a Redis Cluster the bucket lives in
 * the sender's slot, so it is checked by its own script and the rate here is 0.
 * KEYS: stream, trimmed watermark, idempotency key (or the stream again when there is none),
 * published watermark, the sender's bucket (or the stream again when the rate is 0).
 * ARGV: maxlen, ttl ms, idempotency ttl ms, channel, publish command (PUBLISH or SPUBLISH; '' to
 * leave publishing to PUBLISH_SCRIPT once replicas confirmed), from, to, body, sentAt, has-key,
 * deadline (epoch ms), rate per second (0: no check), burst, traceparent ('' when the send was not
 * traced and sampled: then neither the entry nor the payload carries one).
 * Returns the message as JSON (the stored one for a repeated idempotency key, which takes no token);
 * 'late' without doing anything when Redis runs it after the deadline: the sender has already been
 * told the send failed (a command stuck in a socket buffer while Redis was paused must not go out
 * later); or 'rate:<ms>' without storing anything when the sender's bucket is empty.
 */
export const SEND_SCRIPT = `${HELPERS}${TAKE_TOKEN_LUA}
local stream, trimmed, idem, published = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local has_key = ARGV[10] == '1'
if has_key then
  local previous = redis.call('GET', idem)
  if previous then return previous end
end
local now = now_ms()
if now > tonumber(ARGV[11]) then return 'late' end
local rate = tonumber(ARGV[12])
if rate > 0 then
  local wait = take_token(KEYS[5], rate, tonumber(ARGV[13]), now)
  if wait > 0 then return 'rate:' .. wait end
end
local maxlen, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
if ARGV[5] == '' and redis.call('EXISTS', published) == 0 then
  -- Everything already in the stream went out before publishing was deferred.
  local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  redis.call('SET', published, last[1] and last[1][1] or '0-0')
end
local traceparent = ARGV[14] ~= '' and ARGV[14] or nil
local id
if traceparent then
  id = redis.call('XADD', stream, '*', 'f', ARGV[6], 'b', ARGV[8], 's', ARGV[9], 't', traceparent)
else
  id = redis.call('XADD', stream, '*', 'f', ARGV[6], 'b', ARGV[8], 's', ARGV[9])
end
trim(stream, trimmed, maxlen, ttl, now)
redis.call('PEXPIRE', stream, ttl)
redis.call('PEXPIRE', trimmed, ttl)
if ARGV[5] == '' then redis.call('PEXPIRE', published, ttl) end
local payload = cjson.encode({ id = id, fromUserId = ARGV[6], toUserId = ARGV[7], body = ARGV[8], sentAt = ARGV[9], traceparent = traceparent })
if ARGV[5] ~= '' then redis.call(ARGV[5], ARGV[4], payload) end
if has_key then redis.call('SET', idem, payload, 'PX', ARGV[3]) end
return payload
`;

/**
 * Publishes, in stream order, every entry after the published watermark up to ARGV[1] and moves the
 * watermark there: used when sends wait for replicas, so a message goes out live only once it
 * survives a failover (entries appended before it are replicated before it, so they may go too).
 * KEYS: stream, published watermark. ARGV: up-to id, channel, publish command, recipient.
 * Returns how many it published.
 */
export const PUBLISH_SCRIPT = `${HELPERS}
local stream, published = KEYS[1], KEYS[2]
local upto = ARGV[1]
local mark = redis.call('GET', published)
if not mark or not before(mark, upto) then return 0 end
local entries = redis.call('XRANGE', stream, '(' .. mark, upto)
for _, entry in ipairs(entries) do
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  redis.call(ARGV[3], ARGV[2], cjson.encode({ id = entry[1], fromUserId = fields.f, toUserId = ARGV[4], body = fields.b, sentAt = fields.s, traceparent = fields.t }))
end
redis.call('SET', published, upto, 'KEEPTTL')
return #entries
`;

/**
 * Reads up to ARGV[2] entries after cursor ARGV[1] ('' = from the oldest), trimming first.
 * KEYS: stream, trimmed watermark. ARGV[3] = maxlen, ARGV[4] = ttl ms.
 * Returns { 'expired' } or { 'ok', id1, fields1, … } with one entry beyond the limit when there is more.
 */
export const READ_SCRIPT = `${HELPERS}
local stream, trimmed = KEYS[1], KEYS[2]
local after, limit, maxlen, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
trim(stream, trimmed, maxlen, ttl, now)
local start = '-'
if after ~= '' then
  if tonumber(string.match(after, '^(%d+)-')) <= now - ttl then return { 'expired' } end
  local watermark = redis.call('GET', trimmed)
  if watermark and before(after, watermark) then return { 'expired' } end
  start = '(' .. after
end
local reply = { 'ok' }
for _, entry in ipairs(redis.call('XRANGE', stream, start, '+', 'COUNT', limit + 1)) do
  table.insert(reply, entry[1])
  table.insert(reply, entry[2])
end
return reply
`;

/** The last id of stream KEYS[1], or a cursor just before now when it has none. */
export const TAIL_SCRIPT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if last[1] then return last[1][1] end
local t = redis.call('TIME')
return tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - 1) .. '-18446744073709551615'
`;
