import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

/** A private `redis-server` process on an ephemeral port. */
export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  /** A client for assertions (PUBSUB NUMSUB, …); closed by `stop`. */
  readonly client: Redis;
  /** Channels with at least one subscriber whose name matches `pattern`. */
  channels(pattern?: string): Promise<string[]>;
  /** Subscriber count of one channel. */
  numsub(channel: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `redis-server` with nothing persisted; resolves once it answers PING. */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await waitFor(`redis-server on port ${port}`, async () => {
    if (client.status !== 'ready') await client.connect().catch(() => undefined);
    return (await client.ping()) === 'PONG';
  });
  return {
    url,
    port,
    client,
    channels: (pattern = '*') => client.pubsub('CHANNELS', pattern) as Promise<string[]>,
    async numsub(channel) {
      const reply = (await client.pubsub('NUMSUB', channel)) as [string, number];
      return Number(reply[1]);
    },
    async stop() {
      client.disconnect();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
