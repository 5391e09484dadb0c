import type { PhaseSpec } from '../lib/ipc.ts';
import type { PhaseTracker } from './tracker.ts';

/** Sends one message of `tracker`'s phase to local user `recipient`. */
export type SendOne = (tracker: PhaseTracker, recipient: number) => void;

type WindowSpec = Extract<PhaseSpec, { mode: 'window' }>;
type RateSpec = Extract<PhaseSpec, { mode: 'rate' }>;

/**
 * Closed loop: keeps at most `window` messages sent and not yet received (or failed), until
 * `messages` are issued or `maxSeconds` pass; then waits up to `drainMs` for the rest.
 * Resolves whether every issued message settled.
 */
export function runWindow(
  tracker: PhaseTracker,
  spec: Pick<WindowSpec, 'window' | 'messages' | 'maxSeconds' | 'drainMs'>,
  recipientOf: (seq: number) => number,
  send: SendOne,
): Promise<boolean> {
  return new Promise((resolve) => {
    let stopped = false;
    let done = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (drained: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(drainTimer);
      tracker.onChange = () => {};
      resolve(drained);
    };
    const pump = () => {
      if (done) return;
      while (!stopped && tracker.outstanding < spec.window && tracker.issued < spec.messages) {
        send(tracker, recipientOf(tracker.issued));
      }
      if (tracker.issued >= spec.messages) stopped = true;
      if (!stopped) return;
      if (tracker.complete) finish(true);
      else drainTimer ??= setTimeout(() => finish(false), spec.drainMs);
    };
    const deadline = setTimeout(() => {
      stopped = true;
      pump();
    }, spec.maxSeconds * 1000);
    tracker.onChange = pump;
    pump();
  });
}

/**
 * Open loop: issues `rate × seconds` messages on a fixed schedule (pausing only above
 * `maxInFlight` outstanding, which shows as lag), then waits up to `drainMs` for the rest.
 */
export function runRate(
  tracker: PhaseTracker,
  spec: Pick<RateSpec, 'rate' | 'seconds' | 'maxInFlight' | 'drainMs'>,
  recipientOf: (seq: number) => number,
  send: SendOne,
): Promise<boolean> {
  const total = Math.round(spec.rate * spec.seconds);
  const interval = 1000 / spec.rate;
  return new Promise((resolve) => {
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      if (tracker.complete) return finish(true);
      tracker.onChange = () => {
        if (tracker.complete) finish(true);
      };
      timer = setTimeout(() => finish(false), spec.drainMs);
    };
    const finish = (drained: boolean) => {
      clearTimeout(timer);
      tracker.onChange = () => {};
      resolve(drained);
    };
    const tick = () => {
      const now = performance.now();
      while (tracker.issued < total && start + tracker.issued * interval <= now && tracker.outstanding < spec.maxInFlight) {
        tracker.maxLagMs = Math.max(tracker.maxLagMs, now - (start + tracker.issued * interval));
        send(tracker, recipientOf(tracker.issued));
      }
      if (tracker.issued >= total) return drain();
      const wait = start + tracker.issued * interval - performance.now();
      timer = setTimeout(tick, Math.max(0, wait));
    };
    tick();
  });
}
