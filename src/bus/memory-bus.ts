import { cursorBefore, parseCursor, type Cursor } from '../domain/cursor.ts';
import type { Message } from '../domain/message.ts';
import { CursorExpiredError, type Bus, type BusEvents, type HistoryLimits, type MessageDraft } from './bus.ts';
import { cursorOf, indexAfter, isCursorExpired } from './retention.ts';

interface Inbox {
  /** Retained messages, oldest first. */
  readonly entries: Message[];
  /** The newest id ever assigned (ids keep growing after trimming). */
  last: Cursor;
  /** The newest id dropped by retention, if any. */
  maxDeleted: Cursor | undefined;
}

/**
 * The embedded single-node bus, with the same history semantics as Redis: per-recipient bounded
 * history trimmed by count and age, `<ms>-<seq>` ids, idempotent sends. Delivery is a synchronous
 * hand-over inside `send`, so order is the order of `send` calls.
 */
export function createMemoryBus(limits: HistoryLimits, now: () => number = Date.now): Bus {
  let events: BusEvents | undefined;
  // Both maps are kept in order of last write, so expired entries are always at the front.
  const inboxes = new Map<string, Inbox>();
  const sentIds = new Map<string, { message: Message; expiresAt: number }>();

  const trim = (inbox: Inbox, at: number) => {
    const { entries } = inbox;
    const expired = (message: Message | undefined) => message !== undefined && cursorOf(message).ms <= at - limits.ttlMs;
    while (entries.length > limits.maxPerUser || expired(entries[0])) {
      inbox.maxDeleted = cursorOf(entries.shift() as Message);
    }
  };
  const sweep = (at: number) => {
    for (const [userId, inbox] of inboxes) {
      if (inbox.last.ms > at - limits.ttlMs) break;
      inboxes.delete(userId);
    }
    for (const [key, sent] of sentIds) {
      if (sent.expiresAt > at) break;
      sentIds.delete(key);
    }
  };
  const nextId = (inbox: Inbox | undefined, at: number): Cursor =>
    inbox === undefined || at > inbox.last.ms ? { ms: at, seq: 0n } : { ms: inbox.last.ms, seq: inbox.last.seq + 1n };

  return {
    async start(handlers) {
      events = handlers;
    },
    async send(draft: MessageDraft, clientMessageId?: string) {
      const at = now();
      sweep(at);
      const key = clientMessageId === undefined ? undefined : JSON.stringify([draft.fromUserId, draft.toUserId, clientMessageId]);
      const previous = key === undefined ? undefined : sentIds.get(key);
      if (previous !== undefined) return previous.message;
      const existing = inboxes.get(draft.toUserId);
      const id = nextId(existing, at);
      const inbox: Inbox = existing ?? { entries: [], last: id, maxDeleted: undefined };
      inbox.last = id;
      const message: Message = { id: `${id.ms}-${id.seq}`, ...draft };
      inbox.entries.push(message);
      trim(inbox, at);
      inboxes.delete(draft.toUserId);
      inboxes.set(draft.toUserId, inbox);
      if (key !== undefined) sentIds.set(key, { message, expiresAt: at + limits.idempotencyTtlMs });
      events?.deliver(message);
      return message;
    },
    async read(userId, after, limit) {
      const at = now();
      const inbox = inboxes.get(userId);
      if (inbox !== undefined) trim(inbox, at);
      const cursor = after === undefined ? undefined : parseCursor(after);
      if (cursor !== undefined && isCursorExpired(cursor, inbox?.maxDeleted, at, limits.ttlMs)) {
        throw new CursorExpiredError(`Cannot read history: messages after ${after} were dropped by retention`);
      }
      const entries = inbox?.entries ?? [];
      const start = cursor === undefined ? 0 : indexAfter(entries, cursor);
      return { items: entries.slice(start, start + limit), hasMore: start + limit < entries.length };
    },
    async tail(userId) {
      const inbox = inboxes.get(userId);
      return inbox === undefined ? cursorBefore(now()) : `${inbox.last.ms}-${inbox.last.seq}`;
    },
    async historyLength(userId) {
      const inbox = inboxes.get(userId);
      if (inbox === undefined) return 0;
      trim(inbox, now());
      return inbox.entries.length;
    },
    async attach() {},
    async detach() {},
    ready: () => true,
    async close() {
      events = undefined;
    },
  };
}
