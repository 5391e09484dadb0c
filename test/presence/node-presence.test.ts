import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/util/logger.ts';
import { createDisabledPresence } from '../../src/presence/disabled-presence.ts';
import { createMemoryPresenceStore } from '../../src/presence/memory-store.ts';
import { createNodePresence } from '../../src/presence/node-presence.ts';
import { PresenceDisabledError, type Presence } from '../../src/presence/presence.ts';
import { watchReader } from '../helpers/watch-reader.ts';

const GRACE_MS = 3000;

describe('node presence over the memory store (grace period with fake timers)', () => {
  let presence: Presence;
  beforeEach(async () => {
    vi.useFakeTimers();
    presence = createNodePresence(createMemoryPresenceStore(), { graceMs: GRACE_MS, logger: silentLogger });
    await presence.start();
  });
  afterEach(async () => {
    await presence.close();
    vi.useRealTimers();
  });

  it('counts users, not sessions, and sessions per user', async () => {
    const sessions = [presence.openSession('a'), presence.openSession('a'), presence.openSession('b')];
    await Promise.all(sessions.map((session) => session.recorded));
    expect(await presence.onlineCount()).toBe(2);
    expect(await presence.sessionCount('a')).toBe(2);
    expect(await presence.isOnline(['b', 'c', 'a'])).toEqual([true, false, true]);
    sessions[0]?.close();
    sessions[0]?.close(); // idempotent
    expect(await presence.sessionCount('a')).toBe(1);
  });

  it('goes offline only after the last session plus the grace period', async () => {
    const ready = watchReader(await presence.watch(['a']));
    expect(await ready()).toEqual(['a off']);
    const first = presence.openSession('a');
    const second = presence.openSession('a');
    expect(await ready()).toEqual(['a on']);
    first.close();
    second.close();
    expect(await presence.sessionCount('a')).toBe(0);
    expect(await presence.onlineCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(GRACE_MS - 1);
    expect(await ready()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await ready()).toEqual(['a off']);
    expect(await presence.onlineCount()).toBe(0);
  });

  it('a reconnect within the grace period emits nothing and restarts the period on the next close', async () => {
    const ready = watchReader(await presence.watch(['a']));
    presence.openSession('a').close();
    expect(await ready()).toEqual(['a on']); // the snapshot's 'a off' was superseded before it was read
    await vi.advanceTimersByTimeAsync(GRACE_MS - 1);
    const again = presence.openSession('a');
    await vi.advanceTimersByTimeAsync(GRACE_MS * 2);
    expect(await ready()).toEqual([]);
    again.close();
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    expect(await ready()).toEqual(['a off']);
  });

  it('with no grace period, goes offline at the last close', async () => {
    const instant = createNodePresence(createMemoryPresenceStore(), { graceMs: 0, logger: silentLogger });
    await instant.start();
    const ready = watchReader(await instant.watch(['a']));
    instant.openSession('a').close();
    expect(await ready()).toEqual(['a off']); // the on/off pair happened before the reader looked
    instant.openSession('a');
    expect(await ready()).toEqual(['a on']);
    await instant.close();
  });
});

describe('presence switched off', () => {
  it('opens sessions for free and refuses every read with PresenceDisabledError', async () => {
    const presence = createDisabledPresence();
    presence.openSession('a').close();
    await expect(presence.onlineCount()).rejects.toBeInstanceOf(PresenceDisabledError);
    await expect(presence.isOnline(['a'])).rejects.toBeInstanceOf(PresenceDisabledError);
    await expect(presence.sessionCount('a')).rejects.toBeInstanceOf(PresenceDisabledError);
    await expect(presence.watch(['a'])).rejects.toBeInstanceOf(PresenceDisabledError);
  });
});
