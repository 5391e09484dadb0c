import type { Logger } from './logger.ts';

/** How often, at most, the same kind of Redis failure is logged while it lasts. */
const FAULT_LOG_INTERVAL_MS = 10_000;

/** Logs recurring failures at most once per interval per key, saying how many it left out meanwhile. */
export interface FaultLog {
  /**
   * Logs `message` with `fields` at `warn` unless a line with the same `key` was logged within the
   * interval; then only counts it. The next line for `key` carries `suppressed`: the count left out.
   */
  report(key: string, fields: Record<string, unknown>, message: string): void;
}

/**
 * A {@link FaultLog} on `logger`. A failing Redis fails every send, heartbeat and reconnect attempt:
 * one line per failure would bury everything else (and cost CPU when the node is busiest), none would
 * leave the operator guessing. Keys are bounded (a failure class, a role), so is the state.
 */
export function createFaultLog(logger: Logger, intervalMs = FAULT_LOG_INTERVAL_MS, now: () => number = Date.now): FaultLog {
  const last = new Map<string, { at: number; suppressed: number }>();
  return {
    report(key, fields, message) {
      const time = now();
      const entry = last.get(key);
      if (entry !== undefined && time - entry.at < intervalMs) {
        entry.suppressed += 1;
        return;
      }
      const suppressed = entry?.suppressed ?? 0;
      last.set(key, { at: time, suppressed: 0 });
      logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
    },
  };
}
