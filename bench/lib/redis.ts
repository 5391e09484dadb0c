import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startChild, type Child } from './child-process.ts';
import { freePort } from './free-port.ts';

/** A private redis-server for one run. */
export interface RedisServer {
  readonly url: string;
  readonly child: Child;
  /** Bytes Redis has written to all its clients so far (INFO stats total_net_output_bytes). */
  outputBytes(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port with nothing persisted. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const { child } = await startChild({
    name: 'redis-server',
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxclients', '10000'],
    ready: (line) => (line.includes('Ready to accept connections') ? port : undefined),
    timeoutMs: 10_000,
  });
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return {
    url,
    child,
    async outputBytes() {
      const info = await client.info('stats');
      return Number(/total_net_output_bytes:(\d+)/u.exec(info)?.[1] ?? Number.NaN);
    },
    async stop() {
      client.disconnect();
      await child.stop(2000);
    },
  };
}

/** `redis-server --version`, e.g. "7.0.15". */
export function redisVersion(): string {
  const output = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/u.exec(output)?.[1] ?? output.trim();
}
