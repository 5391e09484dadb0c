import { describe, expect, it } from 'vitest';
import { BusUnavailableError } from '../../src/bus/bus.ts';
import { classifyRedisError, FATAL_AT_START } from '../../src/redis/faults.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('classifyRedisError', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:6379', 'unreachable'],
    ["Stream isn't writeable and enableOfflineQueue options is false", 'unreachable'],
    ['All sentinels are unreachable. Retrying from scratch after 10ms. Last error: Connection is closed.', 'unreachable'],
    ['Command timed out', 'timeout'],
    ['WRONGPASS invalid username-password pair or user is disabled.', 'auth'],
    ['NOAUTH Authentication required.', 'auth'],
    ["NOPERM this user has no permissions to run the 'subscribe' command", 'noperm'],
    ["ERR The user executing the script can't run this command or subcommand script: e810, on @user_script:1.", 'noperm'],
    ["READONLY You can't write against a read only replica.", 'readonly'],
    ["OOM command not allowed when used memory > 'maxmemory'. script: e810, on @user_script:1.", 'oom'],
    ['NOSCRIPT No matching script. Please use EVAL.', 'noscript'],
    ['LOADING Redis is loading the dataset in memory', 'loading'],
    ['CLUSTERDOWN The cluster is down', 'clusterdown'],
    ['ERR This instance has cluster support disabled', 'notcluster'],
    ['MOVED 3999 127.0.0.1:7001', 'clusternode'],
    ["the sentinels answer, but none of them names a primary called 'x'", 'noprimary'],
    ['something else entirely', 'other'],
  ])('%s → %s', (message, fault) => {
    expect(classifyRedisError(new Error(message))).toBe(fault);
  });

  it('reads the codes of socket and TLS errors', () => {
    expect(classifyRedisError(withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('tls');
    expect(classifyRedisError(withCode('connect ETIMEDOUT', 'ETIMEDOUT'))).toBe('timeout');
    expect(classifyRedisError(withCode('getaddrinfo ENOTFOUND redis', 'ENOTFOUND'))).toBe('unreachable');
  });

  it('looks through our wrapper and through a cluster’s "all nodes failed" to the error that says why', () => {
    const wrapped = new BusUnavailableError('Cannot send message: Redis did not answer: OOM command not allowed', {
      cause: new Error('OOM command not allowed when used memory > maxmemory'),
    });
    expect(classifyRedisError(wrapped)).toBe('oom');
    const cluster = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: new Error('WRONGPASS invalid username-password pair') });
    expect(classifyRedisError(cluster)).toBe('auth');
    expect(classifyRedisError(new Error('Failed to refresh slots cache.'))).toBe('clusterdown');
  });

  it('stops a start only for faults retrying cannot fix', () => {
    expect([...FATAL_AT_START].sort()).toEqual(['auth', 'clusternode', 'noperm', 'notcluster', 'readonly', 'tls']);
  });
});
