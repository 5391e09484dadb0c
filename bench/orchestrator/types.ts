import type { LatencySummary } from '../lib/stats.ts';
import type { SystemName } from './systems.ts';

/** One point of the scenario matrix. */
export interface Scenario {
  readonly users: number;
  readonly nodes: number;
  readonly bodyBytes: number;
}

/** Everything that shapes the load, identical for every system in one report. */
export interface Settings {
  /** Full-speed phase: messages in total, at most `window` outstanding, at most `fullSeconds`. */
  readonly messages: number;
  readonly window: number;
  readonly fullSeconds: number;
  /**
   * Whether the warm-up and the full-speed phase run. Without them (the node-capacity preset) the
   * fixed-rate phase comes right after the probes and always runs, so its first second is the
   * node's first second of load.
   */
  readonly fullSpeed: boolean;
  /** Fixed-rate phase: messages per second in total, for `rateSeconds`. */
  readonly rate: number;
  readonly rateSeconds: number;
  /** Unmeasured full-speed warm-up before the measured phases (JIT, connection pools). */
  readonly warmupMessages: number;
  readonly warmupSeconds: number;
  /** How long a phase may take to deliver its last messages after sending stopped. */
  readonly drainSeconds: number;
  /** Users probed per load process before measuring (all of them when the count is smaller). */
  readonly probeSample: number;
  readonly loadProcesses: number;
  /** Runs of every system in every scenario (interleaved); the table shows per-figure medians. */
  readonly repeat: number;
  readonly connectConcurrency: number;
  /** Loopback source addresses the load's sockets spread over (bench/load/source-address.ts); 0: none. */
  readonly sourceAddresses: number;
  readonly seed: number;
  /** How long a run waits for the machine to be quiet before it starts anyway (0: no wait). */
  readonly quietWaitSeconds: number;
  /** Hard limit on one system's run in one scenario. */
  readonly runTimeoutSeconds: number;
  /** Directory for `--cpu-prof` output of every node (one subdirectory per system and scenario), when profiling. */
  readonly profileDir: string | undefined;
  /**
   * switchboard's sendMessage rate limit: `off` (SEND_RATE_PER_SECOND=0, the default: the load's
   * senders are random users, so the limit costs a check but never refuses) or `default` (the node's
   * own default, 10 a second per sender, burst 50: the configuration a deployment runs).
   */
  readonly sendRate: 'off' | 'default';
  /**
   * switchboard's OpenTelemetry tracing: the share of sends traced (the root sampler's ratio; the
   * load's sends carry no traceparent), exported over OTLP/HTTP protobuf to a sink in this process;
   * `undefined`: tracing off (no endpoint, the SDK not loaded).
   */
  readonly traceRatio: number | undefined;
}

/** What one measured phase produced, summed over nodes and load processes. */
export interface PhaseSummary {
  readonly kind: 'full' | 'rate';
  readonly issued: number;
  readonly sent: number;
  readonly delivered: number;
  readonly sendErrors: number;
  readonly duplicates: number;
  readonly misrouted: number;
  readonly drained: boolean;
  /** Delivered messages per second, first send to last receipt. */
  readonly throughput: number;
  readonly durationMs: number;
  readonly latency: LatencySummary;
  /**
   * Fixed-rate phase: the latency of the messages sent in each second of the phase (index 0: the
   * first second of load), and the highest of those p99s. Absent in full-speed phases and in
   * reports written before they existed.
   */
  readonly perSecond?: readonly LatencySummary[];
  readonly worstSecondP99?: number;
  /** CPU of all node processes during the phase, per 1,000 delivered messages. */
  readonly cpuMsPer1k: number;
  readonly nodeCpuMs: number;
  readonly redisCpuMs: number;
  readonly loadCpuMs: number;
  /** CPU the rest of the machine used meanwhile (busy time from /proc/stat minus ours): noise. */
  readonly foreignCpuMs: number;
  /** Wall time between the counters read before and after the phase (sending and draining). */
  readonly measuredMs?: number;
  /** Sum over nodes of the bus-received counter delta / sent; `null` when a node has no /metrics. */
  readonly busDeliveriesPerMessage: number | null;
  /** Bytes Redis wrote to its clients per sent message (covers publish replies and pushes to nodes). */
  readonly redisOutBytesPerMessage: number;
  readonly maxLagMs: number;
  readonly problems: readonly string[];
}

/** One system in one scenario. `failures` lists everything that must not happen, loudly. */
export interface RunResult {
  readonly system: SystemName;
  readonly scenario: Scenario;
  readonly failures: string[];
  /** In an aggregated row: how many runs its medians come from. */
  repeats?: number;
  /** Things that make the figures less trustworthy (the machine was busy with something else). */
  readonly warnings: string[];
  /** Share of the machine's CPU busy just before the run started (after waiting for quiet). */
  busyBeforeStart?: number;
  connectMs?: number;
  probeMs?: number;
  probed?: number;
  rssBeforeKib?: number;
  rssAfterKib?: number;
  rssPerUserKib?: number;
  full?: PhaseSummary;
  rate?: PhaseSummary;
  /** Why the fixed-rate phase did not run. */
  rateSkipped?: string;
  /** Wall time of the whole run, and of stopping everything at its end. */
  wallMs?: number;
  stopMs?: number;
}

/** Machine the report was produced on. */
export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGib: number;
  readonly kernel: string;
  readonly node: string;
  readonly redis: string;
  readonly openFileLimit: number;
}

export interface Report {
  readonly startedAt: string;
  finishedAt: string;
  readonly command: string;
  readonly machine: Machine;
  /** The switchboard build measured (path and commit). */
  readonly switchboard: string;
  readonly settings: Settings;
  readonly runs: RunResult[];
}
