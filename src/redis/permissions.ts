import type { ChannelSubscriber } from './channel-subscriber.ts';
import type { RedisConnection } from './connection.ts';
import { classifyRedisError, describeError, RedisStartError } from './faults.ts';
import { keys } from './keys.ts';

/**
 * Every command the node's scripts run inside Redis (bus, presence, send rate), with harmless
 * arguments on the probe key (`KEYS[1]`) or the probe channel (`ARGV[1]`). An ACL user without one
 * of them would otherwise pass the start and fail a user's first send, or a heartbeat, much later.
 */
const SCRIPT_COMMANDS: ReadonlyArray<readonly [string, ...string[]]> = [
  ['XADD', 'K', 'MAXLEN', '0', '*', 'p', '1'],
  ['XTRIM', 'K', 'MAXLEN', '0'],
  ['XLEN', 'K'],
  ['XRANGE', 'K', '-', '+', 'COUNT', '1'],
  ['XREVRANGE', 'K', '+', '-', 'COUNT', '1'],
  ['SET', 'K', '1', 'PX', '1000'],
  ['GET', 'K'],
  ['INCR', 'K'],
  ['EXISTS', 'K'],
  ['PEXPIRE', 'K', '1000'],
  ['DEL', 'K'],
  ['HSET', 'K', 'f', '1'],
  ['HGET', 'K', 'f'],
  ['HMGET', 'K', 'f'],
  ['HEXISTS', 'K', 'f'],
  ['HINCRBY', 'K', 'f', '1'],
  ['HGETALL', 'K'],
  ['HLEN', 'K'],
  ['HDEL', 'K', 'f'],
  ['DEL', 'K'],
  ['ZADD', 'K', '0', 'm'],
  ['ZSCORE', 'K', 'm'],
  ['ZRANGEBYSCORE', 'K', '-inf', '+inf', 'LIMIT', '0', '1'],
  ['ZREM', 'K', 'm'],
  ['DEL', 'K'],
  ['TIME'],
  ['PUBLISH', 'C', 'permission probe'],
];

/**
 * Runs each command with `redis.pcall` and returns the names of those the ACL refused (as one
 * space-separated string, empty when all ran). `K` stands for the probe key, `C` for the channel.
 */
const PROBE_SCRIPT = `
local denied = {}
local commands = cjson.decode(ARGV[2])
for _, command in ipairs(commands) do
  local args = {}
  for i, arg in ipairs(command) do
    if arg == 'K' and i > 1 then args[i] = KEYS[1] elseif arg == 'C' and i > 1 then args[i] = ARGV[1] else args[i] = arg end
  end
  local reply = redis.pcall(unpack(args))
  if type(reply) == 'table' and reply.err ~= nil and (string.find(reply.err, "can't", 1, true) or string.find(reply.err, 'NOPERM', 1, true)) then
    denied[#denied + 1] = command[1]
  end
end
redis.pcall('DEL', KEYS[1])
return table.concat(denied, ' ')
`;

/**
 * Checks at start that the ACL user may run everything the node's scripts run, so a missing
 * permission is one line and exit 77 now, not an `UNAVAILABLE` on a user's first send. Commands the
 * node sends itself are checked by sending them at start (connecting, INFO, ROLE,
 * {@link requireSubscribePermission}).
 * @param sharded also check SPUBLISH (sharded pub/sub on a Cluster).
 * @throws {RedisStartError} with class `noperm`, naming the refused commands; or with `noperm` when the
 *   user may not run scripts at all (EVAL).
 */
export async function requireScriptPermissions(connection: RedisConnection, sharded: boolean): Promise<void> {
  const commands = sharded ? [...SCRIPT_COMMANDS, ['SPUBLISH', 'C', 'permission probe']] : SCRIPT_COMMANDS;
  const denied = String(await connection.eval(PROBE_SCRIPT, 1, keys.permissionProbe, keys.permissionProbeChannel, JSON.stringify(commands)));
  if (denied === '') return;
  const names = [...new Set(denied.split(' '))].join(', ');
  throw new RedisStartError(
    'noperm',
    `the ACL user may not run ${names} (inside the node's scripts, on keys 'sb:*' and channels 'sb:*')`,
  );
}

/**
 * Subscribes to the probe channel and leaves it again: without SUBSCRIBE (or SSUBSCRIBE) a node
 * would start, and fail the first user's subscription instead.
 * @throws {RedisStartError} with class `noperm` when the ACL user may not subscribe.
 */
export async function requireSubscribePermission(subscriber: ChannelSubscriber): Promise<void> {
  try {
    await subscriber.subscribe(keys.permissionProbeChannel, () => {});
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    if (classifyRedisError(cause) === 'noperm') throw new RedisStartError('noperm', describeError(cause), { cause });
    throw error;
  } finally {
    await subscriber.unsubscribe(keys.permissionProbeChannel);
  }
}
