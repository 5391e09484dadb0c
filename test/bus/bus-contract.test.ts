import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CursorExpiredError, type Bus, type HistoryLimits, type MessageDraft } from '../../src/bus/bus.ts';
import { createMemoryBus } from '../../src/bus/memory-bus.ts';
import { createRedisBus } from '../../src/bus/redis-bus.ts';
import { onOwnLink, standaloneLink } from '../helpers/redis-link.ts';
import type { Message } from '../../src/domain/message.ts';
import { compareIds } from '../../src/domain/cursor.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

const LIMITS: HistoryLimits = { maxPerUser: 5, ttlMs: 60_000, idempotencyTtlMs: 60_000 };
let counter = 0;
const user = (name: string) => `${name}-${++counter}`;
const draft = (toUserId: string, body: string, fromUserId = 'alice'): MessageDraft => ({
  fromUserId,
  toUserId,
  body,
  sentAt: '2026-11-24T00:00:00.000Z',
});

/**
 * The history contract both buses keep: ids that grow per recipient, paging, trimming by count,
 * cursor expiry, idempotent sends and live delivery only of what is in history.
 */
function describeBus(name: string, create: (limits: HistoryLimits) => Bus) {
  describe(`bus contract: ${name}`, () => {
    let bus: Bus;
    const delivered: Message[] = [];
    beforeAll(async () => {
      bus = create(LIMITS);
      await bus.start({ deliver: (message) => delivered.push(message), resync: () => {} });
    });
    afterAll(() => bus.close());

    it('drops messages older than the age limit and expires their cursors', async () => {
      const shortLived = create({ ...LIMITS, ttlMs: 300 });
      await shortLived.start({ deliver: () => {}, resync: () => {} });
      try {
        const to = user('bob');
        const old = await shortLived.send(draft(to, 'soon gone'));
        await waitFor('the message to age out', async () => (await shortLived.read(to, undefined, 10)).items.length === 0);
        await expect(shortLived.read(to, old.id, 10)).rejects.toBeInstanceOf(CursorExpiredError);
        const fresh = await shortLived.send(draft(to, 'fresh'));
        expect((await shortLived.read(to, undefined, 10)).items).toEqual([fresh]);
      } finally {
        await shortLived.close();
      }
    });

    it('assigns ids that grow strictly per recipient and reads them back in order', async () => {
      const to = user('bob');
      const sent = [];
      for (const body of ['a', 'b', 'c']) sent.push(await bus.send(draft(to, body)));
      const ids = sent.map((m) => m.id);
      expect(compareIds(ids[0]!, ids[1]!)).toBeLessThan(0);
      expect(compareIds(ids[1]!, ids[2]!)).toBeLessThan(0);
      expect(new Set(ids).size).toBe(3);
      const page = await bus.read(to, undefined, 10);
      expect(page).toEqual({ items: sent, hasMore: false });
      expect(sent[0]).toEqual({ id: ids[0], fromUserId: 'alice', toUserId: to, body: 'a', sentAt: '2026-11-24T00:00:00.000Z' });
    });

    it('pages with after and hasMore', async () => {
      const to = user('bob');
      const sent = [];
      for (const body of ['1', '2', '3', '4']) sent.push(await bus.send(draft(to, body)));
      const first = await bus.read(to, undefined, 3);
      expect(first).toEqual({ items: sent.slice(0, 3), hasMore: true });
      const second = await bus.read(to, first.items[2]!.id, 3);
      expect(second).toEqual({ items: sent.slice(3), hasMore: false });
      expect(await bus.read(to, sent[3]!.id, 3)).toEqual({ items: [], hasMore: false });
    });

    it('keeps the newest maxPerUser messages and expires cursors before them', async () => {
      const to = user('bob');
      const sent = [];
      for (let i = 0; i < 7; i++) sent.push(await bus.send(draft(to, `m${i}`)));
      expect((await bus.read(to, undefined, 10)).items.map((m) => m.body)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
      await expect(bus.read(to, sent[0]!.id, 10)).rejects.toBeInstanceOf(CursorExpiredError);
      // The cursor of the newest dropped message is still fine: nothing after it was dropped.
      expect((await bus.read(to, sent[1]!.id, 10)).items.map((m) => m.body)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
    });

    it('expires a cursor older than the age limit even when nothing is stored', async () => {
      await expect(bus.read(user('nobody'), `${Date.now() - 120_000}-0`, 10)).rejects.toBeInstanceOf(CursorExpiredError);
      expect(await bus.read(user('nobody'), `${Date.now() - 1_000}-0`, 10)).toEqual({ items: [], hasMore: false });
    });

    it('returns a tail after which only later messages are read', async () => {
      const to = user('bob');
      const empty = await bus.tail(to);
      const first = await bus.send(draft(to, 'after empty tail'));
      expect((await bus.read(to, empty, 10)).items).toEqual([first]);
      const tail = await bus.tail(to);
      expect(tail).toBe(first.id);
      const second = await bus.send(draft(to, 'after tail'));
      expect((await bus.read(to, tail, 10)).items).toEqual([second]);
    });

    it('stores and delivers a repeated clientMessageId once and returns the first result', async () => {
      const to = user('bob');
      await bus.attach(to);
      const first = await bus.send(draft(to, 'once'), 'c-1');
      const again = await bus.send(draft(to, 'changed body'), 'c-1');
      const concurrent = await Promise.all([1, 2, 3].map(() => bus.send(draft(to, 'race'), 'c-2')));
      expect(again).toEqual(first);
      expect(new Set(concurrent.map((m) => m.id)).size).toBe(1);
      // Same id from another sender is another message.
      const other = await bus.send(draft(to, 'other sender', 'carol'), 'c-1');
      expect(other.id).not.toBe(first.id);
      expect((await bus.read(to, undefined, 10)).items.map((m) => m.body)).toEqual(['once', 'race', 'other sender']);
      await waitFor('live deliveries', () => delivered.filter((m) => m.toUserId === to).length === 3);
      expect(delivered.filter((m) => m.toUserId === to).map((m) => m.body)).toEqual(['once', 'race', 'other sender']);
      await bus.detach(to);
    });
  });
}

describeBus('memory', (limits) => createMemoryBus(limits));

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
describeBus('redis', (limits) =>
  onOwnLink(standaloneLink(redis.url), (link) => createRedisBus({ link, routing: 'user', limits, logger: silentLogger, commandTimeoutMs: 2000 })),
);
