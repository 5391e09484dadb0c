import { expect } from 'vitest';
import { compareIds } from '../../src/domain/cursor.ts';
import type { ReceivedMessage } from './graphql-client.ts';
import { sendReliably, type Attempt } from './reliable-sender.ts';
import type { NodeProcess } from './node-process.ts';
import { resumingInbox, type ResumingInbox } from './resuming-inbox.ts';
import { tokenFor } from './tokens.ts';
import { waitFor } from './wait-for.ts';

/**
 * Sends `count` messages round-robin to `users` with `concurrency` in flight, each with a unique
 * clientMessageId and retried like a careful app. `onProgress(n)` runs after the n-th success, so
 * a test can inject a fault mid-stream.
 */
export async function streamMessages(options: {
  urls: () => readonly string[];
  token: string;
  users: readonly string[];
  count: number;
  concurrency: number;
  attempts?: Attempt[];
  onProgress?: (sent: number) => Promise<void> | void;
}): Promise<ReceivedMessage[]> {
  const sent: ReceivedMessage[] = [];
  // Keys unique to this call: a retried test sends again to the same users, and a key of the first
  // try would return that try's message (idempotency), never delivered to the new subscriptions.
  const run = Math.random().toString(36).slice(2, 8);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < options.count; i = next++) {
      const message = await sendReliably({
        urls: options.urls(),
        token: options.token,
        to: options.users[i % options.users.length] as string,
        body: `n:${i}`,
        key: `${run}-${i}`,
        ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
      });
      sent.push(message);
      await options.onProgress?.(sent.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return sent;
}

/**
 * Waits until every inbox holds what was sent to its user, then checks the delivery log message by
 * message: each user received exactly the messages sent to them, once each, in id order.
 */
export async function expectExactlyOnceInOrder(
  sent: readonly ReceivedMessage[],
  inboxes: ReadonlyMap<string, ResumingInbox>,
  timeoutMs = 30_000,
): Promise<void> {
  const expected = new Map<string, string[]>();
  for (const message of [...sent].sort((a, b) => compareIds(a.id, b.id))) {
    const ids = expected.get(message.toUserId) ?? [];
    ids.push(message.id);
    expected.set(message.toUserId, ids);
  }
  const complete = () => [...inboxes].every(([user, inbox]) => inbox.messages.length >= (expected.get(user)?.length ?? 0));
  await waitFor('every user to receive everything sent to them', complete, { timeoutMs }).catch((error: unknown) => {
    // Say who is short, by how much, and what they saw, so a failure can be diagnosed from the log.
    const short = [...inboxes]
      .filter(([user, inbox]) => inbox.messages.length < (expected.get(user)?.length ?? 0))
      .map(([user, inbox]) => ({
        user,
        received: inbox.messages.length,
        expected: expected.get(user)?.length ?? 0,
        firstMissing: expected.get(user)?.find((id) => !inbox.messages.some((m) => m.id === id)),
        reconnects: inbox.reconnects,
        errors: inbox.errors.length,
      }));
    throw new Error(`Not every user received everything: ${JSON.stringify(short.slice(0, 5))} (${short.length} users short)`, { cause: error });
  });
  for (const [user, inbox] of inboxes) {
    expect({ user, ids: inbox.messages.map((m) => m.id) }).toEqual({ user, ids: expected.get(user) ?? [] });
    expect(inbox.errors).toEqual([]);
  }
}

/**
 * One resuming client per user, spread round robin over `nodes` (each client fails over to the
 * next node), all starting from a cursor before any send. The caller stops them.
 */
export function connectUsers(users: readonly string[], nodes: readonly NodeProcess[]): Map<string, ResumingInbox> {
  const after = `${Date.now() - 1_000}-0`;
  const inboxes = new Map<string, ResumingInbox>();
  users.forEach((user, i) => {
    const order = [...nodes.slice(i % nodes.length), ...nodes.slice(0, i % nodes.length)];
    inboxes.set(user, resumingInbox({ wsUrls: order.map((n) => n.wsUrl), token: () => tokenFor(user), after }));
  });
  return inboxes;
}

/** `count` user ids `<prefix>-0` … */
export const usersNamed = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/** Prints one figure line for the record (closing notes, docs); assertions decide pass or fail. */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`FIGURES ${name} ${JSON.stringify(figures)}\n`);
}
