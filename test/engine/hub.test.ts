import { describe, expect, it } from 'vitest';
import { BusUnavailableError, type Bus } from '../../src/bus/bus.ts';
import type { Message } from '../../src/domain/message.ts';
import { Hub } from '../../src/engine/hub.ts';
import { createMemoryBus } from '../../src/bus/memory-bus.ts';

const LIMITS = { maxPerUser: 100, ttlMs: 60_000, idempotencyTtlMs: 60_000 };

/** The memory bus, recording attach/detach; `failNextAttach` makes the next attach fail. */
function recordingBus() {
  const calls: string[] = [];
  let failAttach = false;
  const memory = createMemoryBus(LIMITS);
  const bus: Bus = {
    ...memory,
    async attach(userId) {
      await Promise.resolve();
      if (failAttach) {
        failAttach = false;
        throw new BusUnavailableError('down');
      }
      calls.push(`attach ${userId}`);
    },
    async detach(userId) {
      await Promise.resolve();
      calls.push(`detach ${userId}`);
    },
  };
  return { bus, calls, failNextAttach: () => (failAttach = true) };
}

let sequence = 0;
const message = (toUserId: string, body = 'hi'): Message => ({
  id: `${Date.now()}-${++sequence}`,
  fromUserId: 'alice',
  toUserId,
  body,
  sentAt: '2026-11-24T00:00:00.000Z',
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Hub', () => {
  it('delivers only to the recipient’s subscriptions, each once, in order', async () => {
    const hub = new Hub(recordingBus().bus);
    const bob1 = await hub.subscribe('bob');
    const bob2 = await hub.subscribe('bob');
    const carol = await hub.subscribe('carol');
    hub.deliver(message('bob', 'one'));
    hub.deliver(message('bob', 'two'));
    hub.deliver(message('dave', 'nobody here'));
    expect((await bob1.next()).value?.body).toBe('one');
    expect((await bob1.next()).value?.body).toBe('two');
    expect((await bob2.next()).value?.body).toBe('one');
    expect((await bob2.next()).value?.body).toBe('two');
    hub.deliver(message('carol', 'three'));
    expect((await carol.next()).value?.body).toBe('three');
  });

  it('attaches on the first local subscription of a user and detaches after the last', async () => {
    const { bus, calls } = recordingBus();
    const hub = new Hub(bus);
    const first = await hub.subscribe('bob');
    const second = await hub.subscribe('bob');
    expect(calls).toEqual(['attach bob']);
    await first.return?.();
    await settle();
    expect(calls).toEqual(['attach bob']);
    await second.return?.();
    await settle();
    expect(calls).toEqual(['attach bob', 'detach bob']);
    expect(hub.userCount).toBe(0);
    expect(hub.subscriptionCount).toBe(0);
  });

  it('never leaves a live user detached when a subscription ends and another starts at once', async () => {
    const { bus, calls } = recordingBus();
    const hub = new Hub(bus);
    const first = await hub.subscribe('bob');
    void first.return?.();
    const second = await hub.subscribe('bob');
    await settle();
    expect(calls.at(-1)).toBe('attach bob');
    hub.deliver(message('bob'));
    expect((await second.next()).value?.body).toBe('hi');
  });

  it('removes a subscription whose attach failed and rethrows', async () => {
    const { bus, failNextAttach } = recordingBus();
    const hub = new Hub(bus);
    failNextAttach();
    await expect(hub.subscribe('bob')).rejects.toBeInstanceOf(BusUnavailableError);
    expect(hub.subscriptionCount).toBe(0);
  });

  it('ends every subscription on endAll: a pending next() resolves done', async () => {
    const hub = new Hub(recordingBus().bus);
    const bob = await hub.subscribe('bob');
    const pending = bob.next();
    hub.endAll();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(hub.subscriptionCount).toBe(0);
  });
});
