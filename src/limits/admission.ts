import type { ConfigReader, ConfigVariable } from '../util/config-reader.ts';

/**
 * Admission control: whether this node can take one more WebSocket handshake *now*. A reconnect storm
 * (a node died and its clients all arrive here within seconds) costs a token check, a presence write,
 * a SUBSCRIBE and a history read per client; taken all at once, that work queues behind itself and in
 * front of everything else, so live users' messages and sends wait seconds and sends time out
 * (`UNAVAILABLE`). Shedding the excess with a coded close — **1013** "try again later", with a retry
 * hint — keeps the node's queue short: the shed client retries after the hint (jittered) and resumes
 * with `after`, so nothing is lost; the node serves at the rate it can. SECURITY.md documents the code.
 */

/** The close a shed socket gets: 1013 (RFC 6455 "try again later") and the hint in its reason. */
export interface AdmissionRefusal {
  readonly code: 1013;
  /** `Try again later: retry in <ms> ms`. */
  readonly reason: string;
  /** Which bound refused it: too many handshakes in flight, or the event loop lagging (the larger load). */
  readonly cause: 'handshakes' | 'event_loop_lag';
}

/** Admission control's configuration (ADMISSION_* variables). */
export interface AdmissionConfig {
  /** Sockets admitted whose handshake (open → `connection_ack` or close) has not ended; 0: no bound. */
  readonly maxHandshakes: number;
  /** Event-loop lag above which new sockets are shed, ms; 0: not checked. */
  readonly maxLagMs: number;
  /** The retry hint at the bound; it grows with the overload, up to 10 times this. */
  readonly retryMs: number;
}

/** The variables {@link parseAdmissionConfig} reads, for `CONFIG_VARIABLES`. */
export const ADMISSION_VARIABLES: readonly ConfigVariable[] = [
  {
    name: 'ADMISSION_MAX_HANDSHAKES',
    description: 'WebSocket handshakes (open to connection_ack) in flight past which new sockets are closed with 1013 and a retry hint; 0: no bound. Default 1000.',
  },
  {
    name: 'ADMISSION_MAX_LAG_MS',
    description: 'Event-loop lag in ms past which new sockets are closed with 1013 and a retry hint; 0: not checked. Default 0.',
  },
  { name: 'ADMISSION_RETRY_MS', description: 'Retry hint a shed socket gets at the bound, in ms (up to 10x under heavier overload). Default 1000.' },
];

/** Reads the variables of {@link ADMISSION_VARIABLES}. @throws ConfigError (through `reader.integer`). */
export function parseAdmissionConfig(reader: ConfigReader): AdmissionConfig {
  return {
    maxHandshakes: reader.integer('ADMISSION_MAX_HANDSHAKES', 1000, 0, 10_000_000),
    maxLagMs: reader.integer('ADMISSION_MAX_LAG_MS', 0, 0, 60_000),
    retryMs: reader.integer('ADMISSION_RETRY_MS', 1000, 10, 600_000),
  };
}

/** The hint never grows past this many times `retryMs`. */
const MAX_HINT_FACTOR = 10;

/**
 * Decides, when a socket opens, whether the node takes it now. It refuses while `maxHandshakes`
 * handshakes are in flight or while the event loop lags more than `maxLagMs` (read from `lag`, e.g. a
 * {@link LagProbe}); the retry hint is `retryMs` scaled by how far past the bound the node is
 * (at most ×10), so clients spread their retries over the time the node needs.
 */
export class Admission {
  #inFlight = 0;
  #shed = 0;
  readonly #settings: AdmissionConfig;
  readonly #lag: () => number;

  /** @param lag the current event-loop lag in ms; default: none (only the handshake bound applies). */
  constructor(settings: AdmissionConfig, lag: () => number = () => 0) {
    this.#settings = settings;
    this.#lag = lag;
  }

  /** Handshakes admitted and not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Sockets refused so far. */
  get shed(): number {
    return this.#shed;
  }

  /**
   * Admits one socket (it counts as in flight until {@link settle}) or returns why not. Never throws.
   */
  admit(): AdmissionRefusal | undefined {
    const { maxHandshakes, maxLagMs, retryMs } = this.#settings;
    const handshakeLoad = maxHandshakes === 0 ? 0 : this.#inFlight / maxHandshakes;
    const lagLoad = maxLagMs === 0 ? 0 : this.#lag() / maxLagMs;
    const load = Math.max(handshakeLoad, lagLoad);
    if (load < 1) {
      this.#inFlight += 1;
      return undefined;
    }
    this.#shed += 1;
    const hint = Math.round(retryMs * Math.min(MAX_HINT_FACTOR, load));
    return { code: 1013, reason: `Try again later: retry in ${hint} ms`, cause: handshakeLoad >= lagLoad ? 'handshakes' : 'event_loop_lag' };
  }

  /** An admitted socket's handshake ended (acknowledged, refused or closed). Call once per admitted socket. */
  settle(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }
}

/**
 * Event-loop lag, runtime-neutral: a timer every `intervalMs` measures how late it fires. `lag()` is
 * the larger of the last measurement and how late the pending one is already, so a loop stalled right
 * now reads as lagging before its timer gets to run. Unref'd; `stop` clears it.
 */
export class LagProbe {
  #expected: number;
  #last = 0;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #now: () => number;

  constructor(intervalMs = 50, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#expected = now() + intervalMs;
    this.#timer = setInterval(() => {
      const at = this.#now();
      this.#last = Math.max(0, at - this.#expected);
      this.#expected = at + intervalMs;
    }, intervalMs);
    // Deno's timer ids are numbers (no unref); Node's are objects with unref.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** The current lag in ms. */
  lag(): number {
    return Math.max(this.#last, this.#now() - this.#expected);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
