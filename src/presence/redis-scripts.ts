import type { RedisConnection } from '../redis/connection.ts';
import type { StoreEvent } from './presence-store.ts';

/**
 * The Lua scripts of Redis presence. Every key carries the hash tag `{presence}` (one Redis Cluster
 * slot), so each script is atomic on one shard. Times come from Redis (`TIME`), never from a node.
 *
 * Keys (see `bus/channels.ts`): `nodes` ZSET lease → expiry ms; `node` HASH user → this lease's live
 * sessions ('0' = held in the grace period); `online` HASH user → leases holding the user (HLEN is the
 * online count); `sessions` HASH user → live sessions cluster-wide; `seq` the event sequence.
 * CHANGE, SYNC and REAP take KEYS nodes, node, online, sessions, seq and ARGV[1] = the event channel.
 */

const HELPERS = `
local nodes, node, online, sessions, seqk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local channel = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Publishes one change. The sequence starts at Redis's clock in microseconds when the key is missing,
-- so it keeps growing across a restart that lost it and watchers never discard new events as old.
local function publish(user, up, at)
  if redis.call('EXISTS', seqk) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', seqk, t[1] .. string.format('%06d', tonumber(t[2])))
  end
  local seq = redis.call('INCR', seqk)
  redis.call('PUBLISH', channel, cjson.encode({ u = user, on = up, at = string.format('%d', at), seq = string.format('%d', seq) }))
end
local function add_sessions(user, delta)
  if delta ~= 0 and redis.call('HINCRBY', sessions, user, delta) <= 0 then redis.call('HDEL', sessions, user) end
end
-- One more lease holds the user; true when that made them online.
local function hold(user)
  return redis.call('HINCRBY', online, user, 1) == 1
end
-- One lease fewer holds the user; true when that made them offline.
local function unhold(user)
  if redis.call('HINCRBY', online, user, -1) > 0 then return false end
  redis.call('HDEL', online, user)
  return true
end
-- Removes the lease's whole share; returns the users no other lease holds, in hash order.
local function drop_share()
  local share = redis.call('HGETALL', node)
  local gone = {}
  for i = 1, #share, 2 do
    add_sessions(share[i], -tonumber(share[i + 1]))
    if unhold(share[i]) then gone[#gone + 1] = share[i] end
  end
  redis.call('DEL', node)
  return gone
end
`;

/**
 * Session changes on one lease, applied in order (a node batches the changes made while its previous
 * call was in flight). ARGV: channel, lease, then per change: user, delta (1, -1, 0), release ('1':
 * the lease stops holding the user; their sessions here must then be 0).
 * Returns 'ok'; or 'lost' when the lease is gone (nothing changed) or a change disagrees with the
 * lease's share (that one is skipped): the node then writes its whole share with SYNC.
 */
const CHANGE_SCRIPT = `${HELPERS}
local lease = ARGV[2]
if not redis.call('ZSCORE', nodes, lease) then return 'lost' end
local now = now_ms()
local reply = 'ok'
for i = 3, #ARGV, 3 do
  local user, delta, release = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2] == '1'
  local current = redis.call('HGET', node, user)
  local n = (tonumber(current) or 0) + delta
  if n < 0 or (current == false and delta <= 0) or (release and n > 0) then
    reply = 'lost'
  else
    add_sessions(user, delta)
    if release then
      redis.call('HDEL', node, user)
      if unhold(user) then publish(user, false, now) end
    else
      redis.call('HSET', node, user, n)
      if current == false and hold(user) then publish(user, true, now) end
    end
  end
end
return reply
`;

/**
 * Replaces the lease's share with the node's own account and renews the lease; publishes only the
 * users whose online state differs afterwards. ARGV: channel, lease, ttl ms, then user, sessions pairs.
 */
const SYNC_SCRIPT = `${HELPERS}
local lease, ttl = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local gone = drop_share()
local back = {}
for i = 4, #ARGV, 2 do
  local n = tonumber(ARGV[i + 1])
  redis.call('HSET', node, ARGV[i], n)
  add_sessions(ARGV[i], n)
  if hold(ARGV[i]) then back[ARGV[i]] = true end
end
local was = {}
for _, user in ipairs(gone) do
  was[user] = true
  if not back[user] then publish(user, false, now) end
end
for i = 4, #ARGV, 2 do
  if back[ARGV[i]] and not was[ARGV[i]] then publish(ARGV[i], true, now) end
end
redis.call('ZADD', nodes, string.format('%d', now + ttl), lease)
return 'ok'
`;

/**
 * Reaps an expired lease: its users leave, those no other lease holds go offline (published here, so
 * exactly once: a node that loses the race finds the lease gone). ARGV: channel, lease.
 * Returns 1 when this call reaped it, 0 otherwise.
 */
export const REAP_SCRIPT = `${HELPERS}
local lease = ARGV[2]
local expiry = redis.call('ZSCORE', nodes, lease)
local now = now_ms()
if not expiry or tonumber(expiry) > now then return 0 end
for _, user in ipairs(drop_share()) do publish(user, false, now) end
redis.call('ZREM', nodes, lease)
return 1
`;

/**
 * Renews the lease (only its score: no user is rewritten) and lists expired leases to reap.
 * KEYS: nodes. ARGV: lease, ttl ms, how many expired leases to list at most.
 * Returns { 'lost' } when the lease is gone (reaped, or Redis lost its data), else { 'ok', expired… }.
 */
const HEARTBEAT_SCRIPT = `
local nodes, lease, ttl, limit = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if not redis.call('ZSCORE', nodes, lease) then return { 'lost' } end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', nodes, string.format('%d', now + ttl), lease)
local expired = redis.call('ZRANGEBYSCORE', nodes, '-inf', '(' .. string.format('%d', now), 'LIMIT', 0, limit)
table.insert(expired, 1, 'ok')
return expired
`;

/**
 * A graceful stop: the lease now expires after the grace period instead of the TTL, so its users stay
 * online that long (they may reconnect to another node) and are then reaped by a surviving node.
 * KEYS: nodes. ARGV: lease, grace ms.
 */
const LEAVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', string.format('%d', now + tonumber(ARGV[2])), ARGV[1])
`;

/**
 * Reads the online state of users and the sequence it is consistent with, atomically.
 * KEYS: online, seq. ARGV: users. Returns { seq, now ms, '1'|'0' per user }.
 */
const SNAPSHOT_SCRIPT = `
local t = redis.call('TIME')
local reply = { redis.call('GET', KEYS[2]) or '0', string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) }
for i = 1, #ARGV do
  reply[#reply + 1] = redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 and '1' or '0'
end
return reply
`;

/** A connection with the presence scripts defined on it ({@link withPresenceScripts}). */
export type PresenceScripted = RedisConnection & {
  presenceChange(...args: string[]): Promise<string>;
  presenceSync(...args: string[]): Promise<string>;
  presenceReap(...args: string[]): Promise<number>;
  presenceHeartbeat(...args: string[]): Promise<string[]>;
  presenceLeave(...args: string[]): Promise<number>;
  presenceSnapshot(...args: string[]): Promise<string[]>;
};

/** Defines the presence scripts on `connection` (ioredis sends each by its SHA, loading it when Redis lacks it). */
export function withPresenceScripts(connection: RedisConnection): PresenceScripted {
  connection.defineCommand('presenceChange', { numberOfKeys: 5, lua: CHANGE_SCRIPT });
  connection.defineCommand('presenceSync', { numberOfKeys: 5, lua: SYNC_SCRIPT });
  connection.defineCommand('presenceReap', { numberOfKeys: 5, lua: REAP_SCRIPT });
  connection.defineCommand('presenceHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT_SCRIPT });
  connection.defineCommand('presenceLeave', { numberOfKeys: 1, lua: LEAVE_SCRIPT });
  connection.defineCommand('presenceSnapshot', { numberOfKeys: 2, lua: SNAPSHOT_SCRIPT });
  return connection as PresenceScripted;
}

/** Narrows what the scripts publish (parsed JSON `{ u, on, at, seq }`, numbers as strings) to a {@link StoreEvent}. */
export function asStoreEvent(value: unknown): StoreEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { u, on, at, seq } = value as Record<string, unknown>;
  if (typeof u !== 'string' || typeof on !== 'boolean' || typeof at !== 'string' || typeof seq !== 'string') return undefined;
  const atMs = Number(at);
  const sequence = Number(seq);
  if (!Number.isSafeInteger(atMs) || !Number.isSafeInteger(sequence)) return undefined;
  return { userId: u, online: on, at: atMs, seq: sequence };
}
