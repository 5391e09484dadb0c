import { PhaseTracker } from './tracker.ts';
import { runWindow, type SendOne } from './runners.ts';

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

const ROUND_MS = 2000;
const PROBE_WINDOW = 64;

/**
 * Proves subscriptions are live before anything is measured: sends one probe message to each
 * sampled user and waits until it arrives, re-probing the missing ones every round until the
 * timeout. The sample is the users whose connection was acknowledged last (the likeliest to be
 * still setting up) plus random others. Resolves the users never reached and the number probed.
 */
export async function probeUsers(options: ProbeOptions): Promise<{ probed: number; missing: number[] }> {
  const order = options.connectedOrder;
  let pending = selectSample(order, options.sample, options.random);
  const probed = pending.length;
  const deadline = performance.now() + options.timeoutMs;
  for (let round = 0; pending.length > 0 && performance.now() < deadline; round++) {
    const targets = pending;
    const tracker = options.newTracker(`p${round}`, targets.length);
    await runWindow(
      tracker,
      { window: PROBE_WINDOW, messages: targets.length, maxSeconds: ROUND_MS / 1000, drainMs: ROUND_MS },
      (seq) => targets[seq] ?? 0,
      options.send,
    );
    pending = targets.filter((_, seq) => !tracker.isDelivered(seq));
  }
  return { probed, missing: pending };
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
