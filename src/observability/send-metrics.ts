import { Counter, type Registry } from 'prom-client';
import type { ErrorCode } from '../domain/error-codes.ts';
import { OutcomeDurations } from './outcome-durations.ts';

/**
 * How one `sendMessage` ended: `ok` (the bus acknowledged it), the client error code it failed with
 * (lower case) for the expected failures, `error` for anything else (a masked, unexpected error).
 */
type SendOutcome = 'ok' | Lowercase<Extract<ErrorCode, 'RATE_LIMITED' | 'UNAVAILABLE' | 'BAD_USER_INPUT' | 'UNAUTHENTICATED'>> | 'error';

const OUTCOMES: readonly SendOutcome[] = ['ok', 'rate_limited', 'unavailable', 'bad_user_input', 'unauthenticated', 'error'];

/** Seconds; a send waits at most SEND_TIMEOUT_MS (default 2 s) for Redis, so the top buckets catch timeouts. */
const SEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The `extensions.code` of a GraphQL error, as the outcome it names, or `error`. */
function outcomeOf(error: unknown): SendOutcome {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  const outcome = typeof code === 'string' ? (code.toLowerCase() as SendOutcome) : 'error';
  return OUTCOMES.includes(outcome) ? outcome : 'error';
}

/**
 * `sendMessage` metrics: how many ended how (`switchboard_messages_sent_total{result}`) and how long
 * each took from the resolver receiving the mutation to the bus acknowledging it, or to the failure
 * (`switchboard_send_duration_seconds{outcome}`). Every outcome's series exists from the start at 0.
 */
export class SendMetrics {
  readonly #counts = new Map<SendOutcome, Counter.Internal>();
  readonly #durations: OutcomeDurations<SendOutcome>;
  readonly #clock: () => number;

  /** @param clock monotonic milliseconds; default `performance.now`. */
  constructor(registry: Registry, clock: () => number = () => performance.now()) {
    this.#clock = clock;
    const count = new Counter({
      name: 'switchboard_messages_sent_total',
      help: 'sendMessage calls by result: ok (acknowledged by the bus), rate_limited, unavailable (Redis did not take it), bad_user_input, unauthenticated, error (unexpected).',
      labelNames: ['result'] as const,
      registers: [registry],
    });
    for (const outcome of OUTCOMES) {
      count.inc({ result: outcome }, 0);
      this.#counts.set(outcome, count.labels(outcome));
    }
    this.#durations = new OutcomeDurations({
      registry,
      name: 'switchboard_send_duration_seconds',
      help: 'sendMessage duration by outcome (as switchboard_messages_sent_total{result}), from the resolver receiving the mutation to the bus acknowledging the message (ok) or to the failure; HTTP parsing and authentication before it are not included.',
      outcomes: OUTCOMES,
      buckets: SEND_BUCKETS,
    });
  }

  /**
   * Runs one send and records how it ended and how long it took. Resolves and rejects as `send` does.
   * The outcome of a rejection is its `extensions.code` (`RATE_LIMITED` → `rate_limited`, …).
   */
  async time<T>(send: () => Promise<T>): Promise<T> {
    const started = this.#clock();
    try {
      const result = await send();
      this.#record('ok', started);
      return result;
    } catch (error) {
      this.#record(outcomeOf(error), started);
      throw error;
    }
  }

  #record(outcome: SendOutcome, started: number): void {
    this.#counts.get(outcome)?.inc();
    this.#durations.observe(outcome, (this.#clock() - started) / 1000);
  }
}
