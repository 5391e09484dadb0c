import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../../bench/lib/free-port.ts';
import { waitFor } from './wait-for.ts';

const run = promisify(execFile);

/** One `redis-server --cluster-enabled yes` process of a {@link RedisCluster}. */
export interface ClusterMember {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** The OS process id while it runs (for /proc/<pid>/stat CPU figures). */
  readonly pid: number | undefined;
  /** A direct (non-cluster) client to this process; reconnects after `restart`. */
  readonly client: Redis;
  /** This member's cluster node id. */
  id(): Promise<string>;
  /** SIGKILLs the process and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and directory (nodes.conf and AOF are kept). */
  restart(): Promise<void>;
  readonly running: boolean;
}

/** Which primary serves which slots, with its replicas, as the cluster reports it. */
export interface Shard {
  readonly primary: ClusterMember;
  readonly replicas: ClusterMember[];
  /** Inclusive [from, to] slot ranges. */
  readonly ranges: Array<[number, number]>;
}

/** A local Redis Cluster (every process on 127.0.0.1, ephemeral ports). */
export interface RedisCluster {
  readonly members: readonly ClusterMember[];
  /** Every member's address, comma-separated: the value for REDIS_CLUSTER_NODES. */
  readonly nodesEnv: string;
  /** The primaries and their slots, read from a running member (`CLUSTER SHARDS`). */
  shards(): Promise<Shard[]>;
  /** The primary serving `slot`. */
  ownerOf(slot: number): Promise<ClusterMember>;
  /** Waits until every running member agrees that all 16384 slots are served and the state is ok. */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /** Moves `slot` with its keys to `target` (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE). */
  moveSlot(slot: number, target: ClusterMember): Promise<void>;
  /** Kills every process and removes their directories. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Default 3. */
  readonly primaries?: number;
  /** Replicas per primary. Default 1. */
  readonly replicas?: number;
  /** AOF with `appendfsync always` on every member. Default off. */
  readonly aof?: boolean;
  /** cluster-node-timeout: how long a primary may be silent before its replica takes over. Default 1000 ms. */
  readonly nodeTimeoutMs?: number;
}

/**
 * Starts `primaries × (1 + replicas)` cluster-enabled redis-servers and joins them with
 * `redis-cli --cluster create … --cluster-replicas N --cluster-yes`; resolves once the cluster is
 * healthy. `cluster-require-full-coverage no`, so the other shards keep serving while one fails over.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicas ?? 1;
  const count = primaries * (1 + replicas);
  const members: Member[] = [];
  for (let i = 0; i < count; i++) members.push(await startMember(options));
  const cluster = createHandle(members);
  try {
    await run('redis-cli', [
      '--cluster',
      'create',
      ...members.map((m) => m.address),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await cluster.waitForHealthy(30_000);
    // `--cluster create` assigns replicas as it likes; wait until every primary has its replicas.
    await waitFor('every primary to have its replicas', async () => {
      const shards = await cluster.shards();
      if (shards.length !== primaries || shards.some((shard) => shard.replicas.length !== replicas)) return false;
      const links = await Promise.all(shards.flatMap((shard) => shard.replicas.map((r) => r.client.info('replication'))));
      return links.every((info) => info.includes('master_link_status:up'));
    }, { timeoutMs: 30_000, intervalMs: 100 });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

interface Member extends ClusterMember {
  stopAndClean(): Promise<void>;
}

async function startMember(options: RedisClusterOptions): Promise<Member> {
  const port = await freePort();
  const busPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cluster-'));
  const args = [
    '--port', String(port),
    '--cluster-port', String(busPort),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--logfile', join(dir, 'redis.log'),
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000),
    '--cluster-require-full-coverage', 'no',
    '--cluster-replica-validity-factor', '0',
    // Replicas sync at once instead of after diskless sync's default 5 s delay.
    '--repl-diskless-sync-delay', '0',
    ...(options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ];
  const address = `127.0.0.1:${port}`;
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const launch = async () => {
    const current = spawn('redis-server', args, { stdio: 'ignore' });
    child = current;
    exited = new Promise((resolve) => current.once('exit', resolve));
    await waitFor(`cluster member on port ${port}`, async () => {
      if (client.status === 'end' || client.status === 'wait') await client.connect().catch(() => undefined);
      return (await client.ping()) === 'PONG';
    });
  };
  const kill = async () => {
    if (isRunning()) child?.kill('SIGKILL');
    await exited;
  };
  await launch();
  let nodeId: string | undefined;
  return {
    port,
    address,
    get pid() {
      return isRunning() ? child?.pid : undefined;
    },
    get running() {
      return isRunning();
    },
    client,
    async id() {
      nodeId ??= (await client.cluster('MYID')) as string;
      return nodeId;
    },
    kill,
    restart: launch,
    async stopAndClean() {
      client.disconnect();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function createHandle(members: Member[]): RedisCluster {
  const byPort = new Map(members.map((m) => [m.port, m]));
  const anyRunning = () => {
    const member = members.find((m) => m.running);
    if (member === undefined) throw new Error('no cluster member is running');
    return member;
  };
  const shards = (): Promise<Shard[]> => shardsSeenBy(anyRunning());
  const shardsSeenBy = async (seer: Member): Promise<Shard[]> => {
    // CLUSTER SHARDS (7.0): [ 'slots', [from, to, …], 'nodes', [ [ 'id', …, 'port', p, …, 'role', r, …, 'health', h ], … ] ]
    const reply = (await seer.client.cluster('SHARDS')) as unknown[][];
    const result: Shard[] = [];
    for (const shard of reply) {
      const fields = pairs(shard);
      const slots = (fields['slots'] as number[]).map(Number);
      const nodes = (fields['nodes'] as unknown[][]).map(pairs);
      const ranges: Array<[number, number]> = [];
      for (let i = 0; i + 1 < slots.length; i += 2) ranges.push([slots[i] as number, slots[i + 1] as number]);
      const member = (node: Record<string, unknown>) => byPort.get(Number(node['port']));
      const primary = nodes.find((n) => n['role'] === 'master' && n['health'] !== 'fail');
      if (primary === undefined || ranges.length === 0) continue;
      const primaryMember = member(primary);
      if (primaryMember === undefined) continue;
      const replicaMembers = nodes
        // 'loading' also means "has not replicated a byte yet" (offset 0), so only 'fail' is excluded.
        .filter((n) => n['role'] === 'replica' && n['health'] !== 'fail')
        .map(member)
        .filter((m): m is Member => m !== undefined);
      result.push({ primary: primaryMember, replicas: replicaMembers, ranges });
    }
    return result;
  };
  return {
    members,
    nodesEnv: members.map((m) => m.address).join(','),
    shards,
    async ownerOf(slot) {
      const shard = (await shards()).find((s) => s.ranges.some(([from, to]) => slot >= from && slot <= to));
      if (shard === undefined) throw new Error(`no primary serves slot ${slot}`);
      return shard.primary;
    },
    async waitForHealthy(timeoutMs = 20_000) {
      await waitFor(
        'the cluster to be healthy on every running member',
        async () => {
          for (const member of members.filter((m) => m.running)) {
            const info = (await member.client.cluster('INFO')) as string;
            if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
            // Every slot served by a primary that is up, as this member sees it.
            const served = (await shardsSeenBy(member)).filter((shard) => shard.primary.running);
            const slots = served.flatMap((shard) => shard.ranges).reduce((sum, [from, to]) => sum + to - from + 1, 0);
            if (slots !== 16384) return false;
          }
          return true;
        },
        { timeoutMs, intervalMs: 100 },
      );
    },
    async moveSlot(slot, target) {
      const source = await this.ownerOf(slot);
      if (source === target) return;
      const [sourceId, targetId] = await Promise.all([source.id(), target.id()]);
      await target.client.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
      await source.client.cluster('SETSLOT', slot, 'MIGRATING', targetId);
      for (;;) {
        const keys = (await source.client.cluster('GETKEYSINSLOT', slot, 100)) as string[];
        if (keys.length === 0) break;
        await source.client.migrate('127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...keys);
      }
      // The target first, then the source, then everyone else (so no one redirects in a circle).
      await target.client.cluster('SETSLOT', slot, 'NODE', targetId);
      await source.client.cluster('SETSLOT', slot, 'NODE', targetId);
      for (const shard of await shards()) {
        if (shard.primary !== source && shard.primary !== target) {
          await shard.primary.client.cluster('SETSLOT', slot, 'NODE', targetId);
        }
      }
    },
    async stop() {
      await Promise.all(members.map((m) => m.stopAndClean()));
    },
  };
}

/** A flat [key, value, key, value, …] reply as an object. */
function pairs(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1];
  return record;
}

