import type { HistoryReadOutcome } from '../observability/metrics.ts';
import { BusUnavailableError, CursorExpiredError, type Bus } from './bus.ts';

/** Where {@link withTimedReads} reports each read. */
interface ReadDurations {
  observe(outcome: HistoryReadOutcome, seconds: number): void;
}

/**
 * `bus` with every history read (`read`) timed by outcome: the messages query and every stream's
 * catch-up go through it, on the memory and the Redis bus alike. Everything else is `bus`'s own.
 * @param clock monotonic milliseconds; default `performance.now`.
 */
export function withTimedReads(bus: Bus, durations: ReadDurations, clock: () => number = () => performance.now()): Bus {
  return {
    ...bus,
    async read(userId, after, limit) {
      const started = clock();
      try {
        const page = await bus.read(userId, after, limit);
        durations.observe('ok', (clock() - started) / 1000);
        return page;
      } catch (error) {
        const outcome = error instanceof CursorExpiredError ? 'cursor_expired' : error instanceof BusUnavailableError ? 'unavailable' : 'error';
        durations.observe(outcome, (clock() - started) / 1000);
        throw error;
      }
    },
  };
}
