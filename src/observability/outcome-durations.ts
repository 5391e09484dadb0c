import { Histogram, type Registry } from 'prom-client';

/**
 * A duration histogram with one label, `outcome`, from a fixed list: each outcome's series is bound
 * once (nothing is allocated for labels per observation) and exists from the start at 0.
 */
export class OutcomeDurations<O extends string> {
  readonly #series = new Map<O, Histogram.Internal<'outcome'>>();

  constructor(options: { registry: Registry; name: string; help: string; outcomes: readonly O[]; buckets: number[] }) {
    const histogram = new Histogram({
      name: options.name,
      help: options.help,
      labelNames: ['outcome'] as const,
      buckets: options.buckets,
      registers: [options.registry],
    });
    for (const outcome of options.outcomes) {
      histogram.zero({ outcome });
      this.#series.set(outcome, histogram.labels(outcome));
    }
  }

  /** Records one operation that ended with `outcome` after `seconds`. */
  observe(outcome: O, seconds: number): void {
    this.#series.get(outcome)?.observe(seconds);
  }
}
