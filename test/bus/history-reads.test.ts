import { Redis, ReplyError } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryReads, type ReadingConnection } from '../../src/bus/history-reads.ts';
import { keys } from '../../src/redis/keys.ts';
import { READ_SCRIPT } from '../../src/bus/redis-scripts.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';

// The history reads of a resuming storm, on a private redis-server: asked for together, they leave
// as one pipeline (Redis sees one read event, not one per read), and each still gets its own answer.

const TTL_MS = '60000';
let redis: RedisProcess;
let connection: ReadingConnection;

beforeAll(async () => {
  redis = await startRedis();
  const client = new Redis(redis.url, { lazyConnect: true });
  client.defineCommand('sbRead', { numberOfKeys: 2, lua: READ_SCRIPT });
  await client.connect();
  connection = client as ReadingConnection;
});

afterAll(async () => {
  await connection?.quit();
  await redis?.stop();
});

/** The read script's arguments for `user`, as the Redis bus passes them. */
const readArgs = (user: string, after = '', limit = '10') => [keys.history(user), keys.trimmed(user), after, limit, '100', TTL_MS];

/** Read events Redis has processed so far (every connection's, this one's INFO included). */
async function readEvents(): Promise<number> {
  const info = await redis.client.info('stats');
  return Number(/total_reads_processed:(\d+)/u.exec(info)?.[1]);
}

describe('createHistoryReads', () => {
  it('sends the reads asked for while one is in flight as one pipeline, each answered with its own page', async () => {
    const read = createHistoryReads(connection, 64);
    const users = Array.from({ length: 50 }, (_, i) => `pipelined-${i}`);
    for (const [i, user] of users.entries()) {
      for (let k = 0; k <= i % 3; k++) await redis.client.xadd(keys.history(user), '*', 'f', 'alice', 'b', `${user}/${k}`, 's', '2026-12-01T00:00:00.000Z');
    }
    await read(readArgs('warm-up')); // the first call on a connection sends the script itself (EVAL)
    const before = await readEvents();
    const first = read(readArgs('lone'));
    const burst = users.map((user) => read(readArgs(user)));
    const replies = await Promise.all([first, ...burst]);
    const events = (await readEvents()) - before;
    // The lone read, then the other 50 in one write, then the INFO calls: one event each.
    expect(events).toBeLessThanOrEqual(4);
    expect(replies[0]).toEqual(['ok']);
    for (const [i, user] of users.entries()) {
      const reply = replies[i + 1] ?? [];
      const bodies = reply.slice(1).filter((_, k) => k % 2 === 1).map((fields) => (fields as string[])[3]);
      expect(bodies).toEqual(Array.from({ length: (i % 3) + 1 }, (_, k) => `${user}/${k}`));
    }
  });

  it('fails only the read Redis refused, not the others of its pipeline', async () => {
    const read = createHistoryReads(connection, 64);
    await redis.client.xadd(keys.history('kept'), '*', 'f', 'alice', 'b', 'kept', 's', '2026-12-01T00:00:00.000Z');
    const first = read(readArgs('kept'));
    // A limit the script cannot use makes Redis answer this one command with an error.
    const results = await Promise.allSettled([first, read(readArgs('kept')), read(readArgs('refused', '', 'many')), read(readArgs('kept'))]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(results[2]?.status === 'rejected' ? results[2].reason : undefined).toBeInstanceOf(ReplyError);
    for (const k of [0, 1, 3]) expect(results[k]?.status === 'fulfilled' ? results[k].value.length : 0).toBe(3);
  });

  it('fails every read of a pipeline within the command timeout when Redis hangs, and reads again once it answers', async () => {
    const hung = new Redis(redis.url, { lazyConnect: true, commandTimeout: 300, enableOfflineQueue: false });
    hung.defineCommand('sbRead', { numberOfKeys: 2, lua: READ_SCRIPT });
    await hung.connect();
    const read = createHistoryReads(hung as ReadingConnection, 64);
    await read(readArgs('hung')); // the script is loaded on this connection
    redis.pause();
    try {
      const started = Date.now();
      const results = await Promise.allSettled([read(readArgs('hung')), read(readArgs('hung')), read(readArgs('hung'))]);
      expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
      for (const result of results) expect(result.status === 'rejected' ? String(result.reason) : '').toMatch(/timed out/u);
      // Each read fails after its command timeout (300 ms), whichever pipeline it went out in.
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      redis.resume();
    }
    expect(await read(readArgs('hung'))).toEqual(['ok']);
    hung.disconnect();
  });

  it('keeps at most `concurrency` reads outstanding, in pipelines of at most that many', async () => {
    const read = createHistoryReads(connection, 4);
    const before = await readEvents();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => read(readArgs(`bounded-${i}`))));
    const events = (await readEvents()) - before;
    expect(replies.every((reply) => reply.length === 1 && reply[0] === 'ok')).toBe(true);
    // 20 reads, 4 at a time: at least 5 writes, at most one per read (plus the two INFO calls).
    expect(events).toBeGreaterThanOrEqual(5);
    expect(events).toBeLessThanOrEqual(22);
  });
});
