/** How a connection ended, as the client saw it. */
export interface CloseOutcome {
  readonly code: number;
  readonly reason: string;
  /** The node had acknowledged the connection (it was live) before it closed. */
  readonly acked: boolean;
}

/** Upper bound of the exponential backoff after failed attempts. */
const MAX_BACKOFF_MS = 5_000;
const FIRST_BACKOFF_MS = 250;
/** When a 1013 carries no readable hint. */
const DEFAULT_SHED_HINT_MS = 1_000;

/** The node's hint in a 1013 reason, `Try again later: retry in <ms> ms`, or `undefined`. */
function retryHintMs(reason: string): number | undefined {
  const match = /retry in (\d+) ms/u.exec(reason);
  return match === null ? undefined : Number(match[1]);
}

/**
 * What a careful client does after a close — the advice in the README:
 * - shed with **1013** (try again later): wait the node's hint, jittered ×0.5–1.5, and retry the same node
 *   (it is alive and said when);
 * - its live node went away (**1001** drain, **1006** death, anything after the ack): wait a random
 *   0..`jitterMs`, so a whole node's clients do not arrive in the same millisecond, then try another node;
 * - the attempt failed before the ack (refused, HTTP 503): exponential backoff with full jitter, another node.
 */
export function retryDelay(
  outcome: CloseOutcome,
  failures: number,
  jitterMs: number,
  random: () => number,
): { ms: number; sameNode: boolean } {
  if (outcome.code === 1013) {
    const hint = retryHintMs(outcome.reason) ?? DEFAULT_SHED_HINT_MS;
    return { ms: Math.round(hint * (0.5 + random())), sameNode: true };
  }
  if (outcome.acked) return { ms: Math.round(random() * jitterMs), sameNode: false };
  const cap = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** failures);
  return { ms: Math.max(20, Math.round(random() * cap)), sameNode: false };
}
