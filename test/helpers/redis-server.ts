import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { track } from './children.ts';
import { freePort } from '../../bench/lib/free-port.ts';
import { waitFor } from './wait-for.ts';

/** A private `redis-server` process on an ephemeral port. */
export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  /** A client for assertions (PUBSUB NUMSUB, …); reconnects after `restart`; closed by `stop`. */
  readonly client: Redis;
  /** Channels with at least one subscriber whose name matches `pattern`. */
  channels(pattern?: string): Promise<string[]>;
  /** Subscriber count of one channel. */
  numsub(channel: string): Promise<number>;
  /** SIGSTOPs the server: connections stay open but nothing is answered, like a hung Redis. */
  pause(): void;
  /** SIGCONTs a paused server. */
  resume(): void;
  /** SIGKILLs the server (no chance to save) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory (so an AOF is replayed). */
  restart(): Promise<void>;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** Persist with an append-only file fsynced on every write (`appendfsync always`). Default off. */
  readonly aof?: boolean;
}

/** Starts `redis-server` (nothing persisted unless `aof`); resolves once it answers PING. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--logfile', ''];
  args.push(...(options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});

  let child: ChildProcess;
  let exited: Promise<unknown>;
  const launch = async () => {
    child = track(spawn('redis-server', args, { stdio: 'ignore' }));
    exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(`redis-server on port ${port}`, async () => {
      if (client.status === 'end' || client.status === 'wait') await client.connect().catch(() => undefined);
      return (await client.ping()) === 'PONG';
    });
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await exited;
  };
  await launch();

  return {
    url,
    port,
    client,
    channels: (pattern = '*') => client.pubsub('CHANNELS', pattern) as Promise<string[]>,
    async numsub(channel) {
      const reply = (await client.pubsub('NUMSUB', channel)) as [string, number];
      return Number(reply[1]);
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    kill,
    restart: launch,
    async stop() {
      client.disconnect();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
