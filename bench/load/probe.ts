import type { SendOne } from './runners.ts';
import type { PhaseTracker } from './tracker.ts';

export interface ProbeOptions {
  /** Local users in the order they connected. */
  readonly connectedOrder: readonly number[];
  /** How many users to probe (all when at least the number of users). */
  readonly sample: number;
  readonly timeoutMs: number;
  readonly random: () => number;
  readonly newTracker: (tag: string, capacity: number) => PhaseTracker;
  readonly send: SendOne;
}

/** Probes sent and not yet received, at most. */
const PROBE_WINDOW = 64;
/**
 * A round ends when nothing arrived for this long — or for twice the slowest probe seen, on a slow
 * system — and what is still missing was probably published before its subscription was live.
 */
const QUIET_MS = 3000;

/**
 * Proves subscriptions are live before anything is measured: sends one probe message to each
 * sampled user and waits until it arrives; users whose probe never comes (it was published before
 * their subscription was live) are probed again in a new round, until the timeout. The sample is
 * the users whose connection was acknowledged last (the likeliest to be still setting up) plus
 * random others. Slow systems are fine: a round waits while probes keep arriving.
 */
export async function probeUsers(options: ProbeOptions): Promise<{ probed: number; missing: number[] }> {
  let pending = selectSample(options.connectedOrder, options.sample, options.random);
  const probed = pending.length;
  const deadline = performance.now() + options.timeoutMs;
  for (let round = 0; pending.length > 0 && performance.now() < deadline; round++) {
    const targets = pending;
    const tracker = options.newTracker(`p${round}`, targets.length);
    await probeRound(tracker, targets, options.send, deadline);
    pending = targets.filter((_, seq) => !tracker.isDelivered(seq));
  }
  return { probed, missing: pending };
}

function probeRound(tracker: PhaseTracker, targets: readonly number[], send: SendOne, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    let lastProgress = performance.now();
    const pump = () => {
      lastProgress = performance.now();
      while (tracker.outstanding < PROBE_WINDOW && tracker.issued < targets.length) send(tracker, targets[tracker.issued] ?? 0);
    };
    const check = setInterval(() => {
      const now = performance.now();
      const finished = tracker.issued === targets.length && tracker.outstanding === 0;
      const quiet = Math.max(QUIET_MS, 2 * Math.max(0, ...tracker.latencies));
      if (finished || now - lastProgress > quiet || now > deadline) {
        clearInterval(check);
        tracker.onChange = () => {};
        resolve();
      }
    }, 50);
    tracker.onChange = pump;
    pump();
  });
}

function selectSample(order: readonly number[], sample: number, random: () => number): number[] {
  if (sample >= order.length) return [...order];
  const last = order.slice(order.length - Math.ceil(sample / 2));
  const chosen = new Set(last);
  const rest = order.slice(0, order.length - last.length);
  while (chosen.size < sample && rest.length > 0) {
    const pick = Math.floor(random() * rest.length);
    chosen.add(rest[pick] ?? 0);
    rest.splice(pick, 1);
  }
  return [...chosen];
}
