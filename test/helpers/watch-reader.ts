import type { PresenceEvent, PresenceWatch } from '../../src/presence/presence.ts';

/** Lets queued microtasks run (fake timers do not fake them); long enough for a ready `next()` to settle. */
async function settle(): Promise<'waiting'> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
  return 'waiting';
}

/**
 * Reads a watch in steps: each call returns the events it has ready now, as `"<user> on|off"` (or
 * with `withTime`, `"<user> on|off@<at>"`). The `next()` left waiting at the end of one call is carried
 * into the next call, so no event is lost between calls.
 */
export function watchReader(watch: PresenceWatch, options: { withTime?: boolean } = {}): () => Promise<string[]> {
  let pending: Promise<IteratorResult<PresenceEvent, undefined>> | undefined;
  return async () => {
    const taken: string[] = [];
    for (;;) {
      pending ??= watch.next();
      const next = await Promise.race([pending, settle()]);
      if (next === 'waiting') return taken;
      pending = undefined;
      if (next.done === true) return taken;
      const { userId, online, at } = next.value;
      taken.push(`${userId} ${online ? 'on' : 'off'}${options.withTime === true ? `@${at}` : ''}`);
    }
  };
}
