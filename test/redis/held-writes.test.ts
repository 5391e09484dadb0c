import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { RedisLink } from '../../src/redis/link.ts';
import { standaloneLink } from '../helpers/redis-link.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** How many times Redis has read from a client socket, all clients together (INFO stats). */
async function readsProcessed(redis: RedisProcess): Promise<number> {
  const stats = await redis.client.info('stats');
  const match = /^total_reads_processed:(\d+)/mu.exec(stats);
  if (match === null) throw new Error(`INFO stats has no total_reads_processed: ${stats}`);
  return Number(match[1]);
}

describe('the link holds its commands of one turn for one write (held-writes.ts)', () => {
  let redis: RedisProcess;
  let link: RedisLink;
  let commands: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    link = standaloneLink(redis.url);
    await link.start();
    commands = link.commands as Redis;
  });
  afterAll(async () => {
    await link.close();
    await redis.stop();
  });

  it('sends a turn of commands in one write, each with its own reply, in order', async () => {
    const before = await readsProcessed(redis);
    const replies: Array<Promise<number>> = [];
    for (let i = 0; i < 200; i++) {
      link.holdWrites();
      replies.push(commands.incr('held:counter'));
    }
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // The 200 commands (about 7 KB) in one write, read in one go; plus the INFO that reads the count.
    // Without the hold ioredis writes each command on its own and Redis reads them as they come.
    expect((await readsProcessed(redis)) - before).toBeLessThanOrEqual(3);
  });

  it('writes what the next turn holds too', async () => {
    link.holdWrites();
    const first = commands.set('held:turn', 'one');
    await new Promise((resolve) => setImmediate(resolve));
    link.holdWrites();
    const second = commands.get('held:turn');
    expect(await Promise.all([first, second])).toEqual(['OK', 'one']);
  });

  it('holds the new socket after a reconnect', async () => {
    const old = commands.stream;
    await redis.client.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await waitFor('the link to reconnect', async () => commands.status === 'ready' && commands.stream !== old);
    link.holdWrites();
    const replies = [commands.set('held:again', 'x'), commands.get('held:again')];
    expect(await Promise.all(replies)).toEqual(['OK', 'x']);
  });

  it('fails a held command whose socket breaks before it is written; nothing waits for ever', async () => {
    await waitFor('the link to be ready', async () => commands.status === 'ready');
    link.holdWrites();
    const lost = commands.get('held:again');
    commands.stream.destroy();
    await expect(lost).rejects.toThrow(/max retries per request|Connection is closed/u);
    await waitFor('the link to reconnect', async () => commands.status === 'ready');
    expect(await commands.get('held:again')).toBe('x');
  });
});
