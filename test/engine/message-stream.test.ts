import { describe, expect, it } from 'vitest';
import { BusUnavailableError, type HistoryPage } from '../../src/bus/bus.ts';
import { createMemoryBus } from '../../src/bus/memory-bus.ts';
import type { Message } from '../../src/domain/message.ts';
import { MessageStream, type StreamSink } from '../../src/engine/message-stream.ts';
import { waitFor } from '../helpers/wait-for.ts';

const LIMITS = { maxPerUser: 10_000, ttlMs: 3_600_000, idempotencyTtlMs: 60_000 };
const draft = (body: string) => ({ fromUserId: 'alice', toUserId: 'bob', body, sentAt: '2026-11-24T00:00:00.000Z' });

/** A memory bus whose history reads are counted, and a stream of bob's messages over it. */
async function setup(options: { pageSize?: number; liveLimit?: number; retryWindowMs?: number } = {}) {
  const bus = createMemoryBus(LIMITS);
  let stream: MessageStream | undefined;
  await bus.start({ deliver: (message) => stream?.push(message), resync: () => stream?.resync() });
  const reads: string[] = [];
  let failReads = 0;
  stream = new MessageStream('bob', {
    read: async (userId, after, limit): Promise<HistoryPage> => {
      reads.push(after);
      if (failReads > 0) {
        failReads -= 1;
        throw new BusUnavailableError('down');
      }
      return bus.read(userId, after, limit);
    },
    pageSize: options.pageSize ?? 10,
    liveLimit: options.liveLimit ?? 1_000,
    retryWindowMs: options.retryWindowMs ?? 0,
    onEnd: () => {},
  });
  const take = async (count: number) => {
    const bodies: string[] = [];
    for (let i = 0; i < count; i++) {
      const { value } = await stream!.next();
      bodies.push(value instanceof Error ? `error:${value.name}` : (value as Message).body);
    }
    return bodies;
  };
  return { bus, stream, reads, take, failNextReads: (count: number) => (failReads = count) };
}

/** Drives `stream` into `next`; resolves when the sink is told the stream ended, rejects when it failed. */
function driveToEnd(stream: MessageStream, next: StreamSink['next']): Promise<void> {
  return new Promise((resolve, reject) => stream.drive({ next, ended: resolve, failed: reject }));
}

describe('MessageStream', () => {
  it('reads history one page at a time, only as the consumer pulls', async () => {
    const { bus, stream, reads, take } = await setup({ pageSize: 10 });
    const start = await bus.tail('bob');
    for (let i = 0; i < 35; i++) await bus.send(draft(`h${i}`));
    stream.startAt(start, true);
    expect(await take(5)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    expect(reads.length).toBe(1);
    await take(6);
    expect(reads.length).toBe(2);
  });

  it('switches from history to live with no gap and no duplicate', async () => {
    const { bus, stream, take } = await setup({ pageSize: 3 });
    const start = await bus.tail('bob');
    for (let i = 0; i < 5; i++) await bus.send(draft(`h${i}`));
    stream.startAt(start, true);
    expect(await take(2)).toEqual(['h0', 'h1']);
    // Live messages arriving while catching up are in history too: each must come out once.
    await bus.send(draft('l0'));
    await bus.send(draft('l1'));
    expect(await take(5)).toEqual(['h2', 'h3', 'h4', 'l0', 'l1']);
    const pending = stream.next();
    await bus.send(draft('l2'));
    expect(((await pending).value as Message).body).toBe('l2');
  });

  it('falls back to history when the live buffer overflows, so a slow consumer loses nothing', async () => {
    const { bus, stream, reads, take } = await setup({ pageSize: 50, liveLimit: 5 });
    stream.startAt(await bus.tail('bob'), false);
    for (let i = 0; i < 40; i++) await bus.send(draft(`m${i}`));
    expect(reads).toEqual([]);
    expect(await take(40)).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
    expect(reads.length).toBeGreaterThan(0);
  });

  it('back-fills from its last id on resync', async () => {
    const { bus, stream, take } = await setup();
    stream.startAt(await bus.tail('bob'), false);
    await bus.send(draft('before'));
    expect(await take(1)).toEqual(['before']);
    // Simulate a bus outage: messages reach history but not the stream.
    const saved = stream.push.bind(stream);
    stream.push = () => 'ignored';
    await bus.send(draft('missed 1'));
    await bus.send(draft('missed 2'));
    stream.push = saved;
    stream.resync();
    expect(await take(2)).toEqual(['missed 1', 'missed 2']);
  });

  it('holds live delivery from a bus drop until resync, so a later message cannot overtake a missed one', async () => {
    const { bus, stream, take } = await setup();
    stream.startAt(await bus.tail('bob'), false);
    stream.hold(); // the pub/sub connection dropped
    const saved = stream.push.bind(stream);
    stream.push = () => 'ignored';
    await bus.send(draft('missed while away'));
    stream.push = saved;
    await bus.send(draft('live after the reconnect')); // reaches the stream live, held
    const next = stream.next();
    const pending = Symbol('pending');
    expect(await Promise.race([next, new Promise((resolve) => setTimeout(() => resolve(pending), 20))])).toBe(pending);
    stream.resync();
    expect(((await next).value as Message).body).toBe('missed while away');
    expect(await take(1)).toEqual(['live after the reconnect']);
  });

  it('retries reads while the bus is briefly unavailable', async () => {
    const { bus, stream, take, reads, failNextReads } = await setup({ retryWindowMs: 5_000 });
    const start = await bus.tail('bob');
    await bus.send(draft('after the outage'));
    stream.startAt(start, true);
    failNextReads(3);
    expect(await take(1)).toEqual(['after the outage']);
    expect(reads.length).toBe(4);
  });

  it('yields a read that keeps failing past the retry window as an error once, then ends', async () => {
    const { bus, stream, take, failNextReads } = await setup({ retryWindowMs: 0 });
    stream.startAt(await bus.tail('bob'), true);
    failNextReads(1);
    expect(await take(1)).toEqual(['error:BusUnavailableError']);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('pushed: catches up at the pace the sink asks for, then hands each live message to the sink inside push', async () => {
    const { bus, stream, reads } = await setup({ pageSize: 4 });
    const start = await bus.tail('bob');
    for (let i = 0; i < 10; i++) await bus.send(draft(`h${i}`));
    stream.startAt(start, true);
    const got: string[] = [];
    let release: (() => void) | undefined;
    const driven = driveToEnd(stream, (event) => {
      got.push(event instanceof Error ? `error:${event.name}` : event.body);
      // Hold the catch-up after its third message, as a socket with a full buffer does.
      return got.length === 3 ? new Promise<void>((resolve) => (release = resolve)) : undefined;
    });
    await waitFor('the catch-up to wait for the sink', () => release !== undefined, { intervalMs: 1 });
    expect(got).toEqual(['h0', 'h1', 'h2']);
    expect(reads.length).toBe(1);
    release?.();
    await waitFor('the rest of the history', () => got.length === 10, { intervalMs: 1 });
    // Live now: the sink gets the message before `send` (which pushes it) has returned.
    const before = got.length;
    await bus.send(draft('live'));
    expect(got.length).toBe(before + 1);
    expect(got.slice(-1)).toEqual(['live']);
    stream.hold();
    await bus.send(draft('held'));
    expect(got.slice(-1)).toEqual(['live']);
    stream.resync();
    await waitFor('the held message after resync', () => got.length === 12, { intervalMs: 1 });
    expect(got.slice(-2)).toEqual(['live', 'held']);
    stream.end();
    await driven;
  });
  it('pushed and parked: a failure, an overflow and the end each start the driver again, in order', async () => {
    const { bus, stream, reads } = await setup({ liveLimit: 2 });
    stream.startAt(await bus.tail('bob'), false);
    const got: string[] = [];
    let ended = false;
    const driven = driveToEnd(stream, (event) => {
      got.push(event instanceof Error ? `error:${event.message}` : event.body);
      return undefined;
    }).then(() => (ended = true));
    await bus.send(draft('live'));
    expect(got).toEqual(['live']);
    expect(reads).toEqual([]);
    // Held, three messages overflow the live buffer of two: back to history once resynced, each once.
    stream.hold();
    for (const body of ['o1', 'o2', 'o3']) await bus.send(draft(body));
    expect(got).toEqual(['live']);
    stream.resync();
    await waitFor('the overflowed messages from history', () => got.length === 4, { intervalMs: 1 });
    expect(got).toEqual(['live', 'o1', 'o2', 'o3']);
    expect(reads.length).toBeGreaterThan(0);
    // Parked again: live straight to the sink, then a failure is its last event and ends the drive.
    await bus.send(draft('after'));
    expect(got.slice(-1)).toEqual(['after']);
    stream.fail(new Error('cut off'));
    await driven;
    expect([ended, got.slice(-1)]).toEqual([true, ['error:cut off']]);
    await bus.send(draft('too late'));
    expect(got.slice(-1)).toEqual(['error:cut off']);
  });

  it('pushed and parked: end() resolves the drive with nothing more handed over', async () => {
    const { bus, stream } = await setup();
    stream.startAt(await bus.tail('bob'), false);
    const got: string[] = [];
    const driven = driveToEnd(stream, (event) => {
      got.push(event instanceof Error ? 'error' : event.body);
      return undefined;
    });
    await bus.send(draft('one'));
    stream.end();
    await driven;
    await bus.send(draft('two'));
    expect(got).toEqual(['one']);
  });

  it('pushed: a sink that throws is told why, once, and the stream ends (catching up, and live)', async () => {
    for (const catchingUp of [true, false]) {
      const { bus, stream } = await setup();
      for (let i = 0; i < 3; i++) await bus.send(draft(`h${i}`));
      stream.startAt(catchingUp ? '0-0' : await bus.tail('bob'), catchingUp);
      const told: string[] = [];
      let calls = 0;
      stream.drive({
        next() {
          calls += 1;
          throw new Error('socket gone');
        },
        ended: () => void told.push('ended'),
        failed: (error) => void told.push(`failed:${(error as Error).message}`),
      });
      if (!catchingUp) await bus.send(draft('live'));
      await waitFor('the sink told', () => told.length > 0, { intervalMs: 1 });
      await bus.send(draft('after'));
      expect([told, calls, await stream.next()]).toEqual([['failed:socket gone'], 1, { value: undefined, done: true }]);
    }
  });
});
