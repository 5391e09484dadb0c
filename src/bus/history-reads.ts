import { asMessage, type Message } from '../domain/message.ts';
import { createBatcher } from '../util/batcher.ts';
import { CursorExpiredError } from './bus.ts';
import { isCluster, type RedisConnection } from '../redis/connection.ts';

/** What the read script (`READ_SCRIPT`) answers: 'ok' then id, fields, id, fields …, or 'expired'. */
export type ReadReply = Array<string | string[]>;

/** The publisher connection with the read script defined on it (as `sbRead`). */
export type ReadingConnection = RedisConnection & { sbRead(...args: string[]): Promise<ReadReply> };

type Outcome = { readonly reply: ReadReply } | { readonly error: unknown };

/**
 * Runs one node's history reads (one `READ_SCRIPT` call each): those asked for while others are in
 * flight go out together, as one pipeline of at most `concurrency`, one pipeline at a time
 * (`batcher.ts`), so at most `concurrency` are outstanding at Redis and the rest wait in the node, in
 * arrival order, not inside Redis ahead of live sends. In a reconnect storm every resuming client reads its history; one by one,
 * each read was a write to the Redis socket of its own, the costliest single step of a resuming
 * handshake after the 101 response. Pipelined, a turn's reads leave in one write and each still
 * answers, or fails, on its own. On a Redis Cluster a pipeline must stay within one slot, so there
 * each read is a command of its own, as before.
 *
 * Resolves with the script's reply; rejects with the read's own error (Redis' or the connection's).
 */
export function createHistoryReads(connection: ReadingConnection, concurrency: number): (args: readonly string[]) => Promise<ReadReply> {
  const one = (args: readonly string[]): Promise<Outcome> =>
    connection.sbRead(...args).then(
      (reply) => ({ reply }),
      (error: unknown) => ({ error }),
    );
  const pipelined = createBatcher<readonly string[], Outcome>(async (batch) => {
    if (batch.length === 1 || isCluster(connection)) return Promise.all(batch.map(one));
    const pipeline = connection.pipeline() as unknown as { sbRead(...args: string[]): void; exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (const args of batch) pipeline.sbRead(...args);
    const results = (await pipeline.exec()) ?? [];
    return batch.map((_, i): Outcome => {
      const [error, reply] = results[i] ?? [new Error('Redis answered fewer replies than the pipeline sent'), undefined];
      return error === null ? { reply: reply as ReadReply } : { error };
    });
  }, concurrency);
  return async (args) => {
    const outcome = await pipelined(args);
    if ('error' in outcome) throw outcome.error;
    return outcome.reply;
  };
}

/**
 * The messages of a read script's reply for `userId`, at most `limit` of them (it reads one more, to
 * tell whether there is more).
 *
 * @throws {CursorExpiredError} when retention dropped messages after the cursor.
 * @throws {Error} when an entry is malformed.
 */
export function pageOf(userId: string, after: string | undefined, reply: ReadReply, limit: number): { items: Message[]; hasMore: boolean } {
  if (reply[0] === 'expired') {
    throw new CursorExpiredError(`Cannot read history: messages after ${after} were dropped by retention`);
  }
  const items: Message[] = [];
  for (let i = 1; i + 1 < reply.length; i += 2) {
    items.push(fromEntry(userId, reply[i] as string, reply[i + 1] as string[]));
  }
  const hasMore = items.length > limit;
  return { items: hasMore ? items.slice(0, limit) : items, hasMore };
}

/** A stream entry (fields f=from, b=body, s=sentAt, and t=traceparent when the send was traced) as a message. */
function fromEntry(toUserId: string, id: string, fields: string[]): Message {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i] as string] = fields[i + 1] as string;
  const message = asMessage({ id, toUserId, fromUserId: record['f'], body: record['b'], sentAt: record['s'], traceparent: record['t'] });
  if (message === undefined) throw new Error(`History entry ${id} is malformed`);
  return message;
}
