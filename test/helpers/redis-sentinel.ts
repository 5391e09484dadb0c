import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../bench/lib/free-port.ts';
import { waitFor } from './wait-for.ts';

/** A data `redis-server` of a Sentinel set (primary or replica, roles change on failover). */
export interface SentinelData {
  readonly port: number;
  /** A direct client for assertions (ROLE, CLIENT LIST, …). */
  readonly client: Redis;
  /** SIGSTOPs it: connections stay open, nothing is answered (a hung or partitioned server). */
  pause(): void;
  resume(): void;
}

/** Two data servers (primary + replica) and three sentinels monitoring them, on ephemeral ports. */
export interface RedisSentinelSet {
  /** The monitored primary's name: the value for REDIS_SENTINEL_NAME. */
  readonly name: string;
  /** `127.0.0.1:<port>,…` of the sentinels: the value for REDIS_SENTINELS. */
  readonly sentinelsEnv: string;
  readonly data: readonly SentinelData[];
  /** The data server the sentinels currently name as primary. */
  primary(): Promise<SentinelData>;
  /**
   * `SENTINEL FAILOVER <name>`; resolves with the new primary once every sentinel names it and it
   * answers ROLE master — and, unless `untilDemoted` is false, once the old primary replicates from
   * it (the sentinels reconfigure it on their next INFO of it, up to 10 s later).
   */
  failover(options?: { untilDemoted?: boolean }): Promise<SentinelData>;
  /**
   * Closes every client subscribed on the sentinels (`CLIENT KILL TYPE pubsub`): the connections
   * that listen for `+switch-master`, so the next failover goes unannounced to them.
   */
  killSubscribers(): Promise<void>;
  /** Kills every process and removes their directories. */
  stop(): Promise<void>;
}

const NAME = 'switchboard';

/**
 * Starts a primary, a replica of it, and three `redis-server --sentinel` processes (quorum 2,
 * down-after 1 s); resolves once every sentinel sees the replica and the two other sentinels.
 */
export async function startRedisSentinels(options: { aof?: boolean } = {}): Promise<RedisSentinelSet> {
  const processes: Array<{ child: ChildProcess; exited: Promise<unknown>; dir: string; client: Redis }> = [];
  const launch = async (args: string[], dir: string, port: number) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    processes.push({ child, exited, dir, client });
    await waitFor(`redis on port ${port}`, async () => {
      if (client.status === 'wait' || client.status === 'end') await client.connect().catch(() => undefined);
      return (await client.ping()) === 'PONG';
    });
    return { child, client };
  };
  const stop = async () => {
    for (const { child, client } of processes) {
      client.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
    }
    await Promise.all(processes.map(({ exited }) => exited));
    for (const { dir } of processes) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const data: SentinelData[] = [];
    for (const role of ['primary', 'replica'] as const) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'switchboard-sentinel-data-'));
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--logfile', join(dir, 'redis.log')];
      args.push('--repl-diskless-sync-delay', '0');
      args.push(...(options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
      if (role === 'replica') args.push('--replicaof', '127.0.0.1', String((data[0] as SentinelData).port));
      const { child, client } = await launch(args, dir, port);
      data.push({ port, client, pause: () => void child.kill('SIGSTOP'), resume: () => void child.kill('SIGCONT') });
    }
    const [first, second] = data as [SentinelData, SentinelData];
    await waitFor('the replica to sync', async () => (await second.client.info('replication')).includes('master_link_status:up'));

    const sentinels: Redis[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'switchboard-sentinel-'));
      const file = join(dir, 'sentinel.conf');
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `logfile ${join(dir, 'sentinel.log')}`,
          `sentinel monitor ${NAME} 127.0.0.1 ${first.port} 2`,
          `sentinel down-after-milliseconds ${NAME} 1000`,
          `sentinel failover-timeout ${NAME} 5000`,
          `sentinel parallel-syncs ${NAME} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push((await launch([file, '--sentinel'], dir, port)).client);
    }
    await waitFor(
      'every sentinel to see the replica and the other sentinels',
      async () => {
        for (const sentinel of sentinels) {
          const master = fields((await sentinel.call('SENTINEL', 'MASTER', NAME)) as unknown[]);
          if (master['num-slaves'] !== '1' || master['num-other-sentinels'] !== '2') return false;
        }
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );

    const byPort = (port: number) => data.find((server) => server.port === port) as SentinelData;
    const primaryPort = async (sentinel: Redis) =>
      Number(((await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string])[1]);
    const primary = async () => byPort(await primaryPort(sentinels[0] as Redis));
    return {
      name: NAME,
      sentinelsEnv: sentinels.map((sentinel) => `127.0.0.1:${sentinel.options.port}`).join(','),
      data,
      primary,
      async failover({ untilDemoted = true } = {}) {
        const old = await primary();
        const next = data.find((server) => server !== old) as SentinelData;
        await (sentinels[0] as Redis).call('SENTINEL', 'FAILOVER', NAME);
        await waitFor(
          'the failover to complete',
          async () => {
            for (const sentinel of sentinels) if ((await primaryPort(sentinel)) !== next.port) return false;
            const [role] = (await next.client.call('ROLE')) as [string];
            if (role !== 'master') return false;
            if (!untilDemoted) return true;
            const replication = await old.client.info('replication');
            return replication.includes(`master_port:${next.port}`) && replication.includes('master_link_status:up');
          },
          { timeoutMs: 20_000, intervalMs: 100 },
        );
        return next;
      },
      async killSubscribers() {
        for (const sentinel of sentinels) await sentinel.client('KILL', 'TYPE', 'PUBSUB');
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A flat [key, value, …] reply as an object of strings. */
function fields(flat: unknown[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
}
