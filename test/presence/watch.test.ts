import { describe, expect, it } from 'vitest';
import { WatchRegistry } from '../../src/presence/watch.ts';
import { watchReader } from '../helpers/watch-reader.ts';

const event = (userId: string, online: boolean, seq: number) => ({ userId, online, at: seq * 1000, seq });

describe('Watch', () => {
  it('orders a snapshot and racing events by seq, whatever order they arrive in', async () => {
    const registry = new WatchRegistry();
    const watch = registry.add(['a', 'b']);
    const drain = watchReader(watch, { withTime: true });
    // Arrived before the snapshot was read, but older than it: ignored.
    registry.dispatch(event('a', true, 4));
    // Newer than the snapshot: wins over it.
    registry.dispatch(event('b', false, 9));
    watch.apply(event('a', false, 5)); // the snapshot, seq 5
    watch.apply(event('b', true, 5));
    // Oldest change first: b's arrived before the snapshot.
    expect(await drain()).toEqual(['b off@9000', 'a off@5000']);
  });

  it('emits a user only when their state differs from what it emitted last', async () => {
    const registry = new WatchRegistry();
    const watch = registry.add(['a']);
    const drain = watchReader(watch, { withTime: true });
    registry.dispatch(event('a', true, 1));
    expect(await drain()).toEqual(['a on@1000']);
    registry.dispatch(event('a', true, 2)); // e.g. a node rewrote its share after Redis lost it
    expect(await drain()).toEqual([]);
    registry.dispatch(event('a', false, 3));
    expect(await drain()).toEqual(['a off@3000']);
  });

  it('keeps at most one pending event per user: a slow reader gets the latest state, a flap it missed cancels out', async () => {
    const registry = new WatchRegistry();
    const watch = registry.add(['a', 'b']);
    const drain = watchReader(watch, { withTime: true });
    watch.apply(event('a', false, 1));
    watch.apply(event('b', false, 1));
    expect(await drain()).toEqual(['a off@1000', 'b off@1000']);
    for (let seq = 2; seq < 1000; seq += 2) {
      registry.dispatch(event('a', true, seq));
      registry.dispatch(event('a', false, seq + 1));
    }
    registry.dispatch(event('b', true, 2000));
    registry.dispatch(event('a', true, 2001));
    expect(await drain()).toEqual(['b on@2000000', 'a on@2001000']);
  });

  it('ends: a pending next finishes, later events are ignored and the registry forgets it', async () => {
    const registry = new WatchRegistry();
    const watch = registry.add(['a']);
    const pending = watch.next();
    await watch.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    registry.dispatch(event('a', true, 1));
    expect(await watch.next()).toEqual({ done: true, value: undefined });
    expect(registry.size).toBe(0);
    expect([...registry.users()]).toEqual([]);
  });
});
