import type { RedisConnection } from './connection.ts';
import { RedisStartError } from './faults.ts';

/**
 * Refuses to start on a node of a Redis Cluster given as REDIS_URL: every key of another node's slots
 * would answer MOVED. INFO may be denied to an ACL user; then the first sends say MOVED instead.
 * @throws {RedisStartError} with class `clusternode`.
 */
export async function refuseClusterNode(connection: RedisConnection, url: string): Promise<void> {
  let info: string;
  try {
    info = String(await connection.call('INFO', 'cluster'));
  } catch {
    return;
  }
  if (/^cluster_enabled:1/mu.test(info)) {
    throw new RedisStartError('clusternode', `REDIS_URL points at a node of a Redis Cluster (${new URL(url).host})`);
  }
}

/**
 * Refuses to start on a replica (REDIS_URL names one): every send would fail with READONLY. ROLE may
 * be denied to an ACL user; then the first sends say READONLY instead.
 * @throws {RedisStartError} with class `readonly`.
 */
export async function refuseReplica(connection: RedisConnection, url: string): Promise<void> {
  let role: unknown;
  try {
    [role] = (await connection.call('ROLE')) as unknown[];
  } catch {
    return;
  }
  if (role === 'slave') {
    const where = new URL(url);
    throw new RedisStartError('readonly', `REDIS_URL points at a replica (${where.host}), which refuses writes`);
  }
}

