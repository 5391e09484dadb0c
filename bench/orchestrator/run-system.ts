import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild, type Child } from '../lib/child-process.ts';
import { listeningPort } from '../lib/contract.ts';
import type { PhaseSpec } from '../lib/ipc.ts';
import { totalRssKib } from '../lib/proc-stats.ts';
import { startOtlpSink } from '../lib/otlp-sink.ts';
import { startRedis } from '../lib/redis.ts';
import { waitForQuiet } from '../lib/system-cpu.ts';
import { LoadPool } from './load-pool.ts';
import { measurePhase, phaseFailures, type Subjects } from './measure.ts';
import { SYSTEMS, type SystemName } from './systems.ts';
import type { PhaseSummary, RunResult, Scenario, Settings } from './types.ts';

/** Other work may use at most this share of the machine's CPU before and during a measured phase. */
const QUIET_SHARE = 0.1;

function phaseWarnings(phase: PhaseSummary, settings: Settings): string[] {
  const label = phase.kind === 'full' ? 'full-speed' : 'fixed-rate';
  // The window the foreign CPU was measured over (a slow fixed-rate phase drains well past its seconds).
  const window = phase.measuredMs ?? (phase.kind === 'full' ? phase.durationMs : settings.rateSeconds * 1000);
  const share = window > 0 ? phase.foreignCpuMs / (window * availableParallelism()) : 0;
  return share < QUIET_SHARE ? [] : [`${label}: other processes used ${Math.round(share * 100)}% of the machine's CPU meanwhile`];
}

/**
 * One system in one scenario, from scratch: a private redis-server, N nodes, the load processes;
 * connect and subscribe every user, prove the subscriptions live, warm up, then the measured
 * full-speed and fixed-rate phases (only the fixed-rate one, right after the probes, without
 * `settings.fullSpeed`). Everything started is stopped again, whatever happens.
 */
export async function runSystem(name: SystemName, scenario: Scenario, settings: Settings): Promise<RunResult> {
  const result: RunResult = { system: name, scenario, failures: [], warnings: [] };
  const cleanups: Array<() => Promise<void>> = [];
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`run exceeded ${settings.runTimeoutSeconds} s`)), settings.runTimeoutSeconds * 1000);
    });
    await Promise.race([execute(name, scenario, settings, result, cleanups), timeout]);
  } catch (error) {
    result.failures.push(`run aborted: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
    const stopping = performance.now();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    result.stopMs = performance.now() - stopping;
    result.wallMs = performance.now() - started;
  }
  return result;
}

async function execute(
  name: SystemName,
  scenario: Scenario,
  settings: Settings,
  result: RunResult,
  cleanups: Array<() => Promise<void>>,
): Promise<void> {
  const system = SYSTEMS[name];
  // The smoke preset does not wait: it checks delivery, not speed, and may run beside a test suite.
  result.busyBeforeStart = settings.quietWaitSeconds > 0 ? await waitForQuiet(QUIET_SHARE, settings.quietWaitSeconds * 1000) : 0;
  if (result.busyBeforeStart >= QUIET_SHARE) {
    result.warnings.push(`the machine was ${Math.round(result.busyBeforeStart * 100)}% busy with other work when the run started`);
  }
  const secret = randomBytes(32).toString('hex');
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const traced = settings.traceRatio !== undefined && name.startsWith('switchboard');
  const sink = traced ? await startOtlpSink() : undefined;
  if (sink !== undefined) {
    cleanups.push(async () => {
      process.stderr.write(`  tracing at ratio ${settings.traceRatio}: ${sink.counts.requests} exports, ${Math.round(sink.counts.bytes / 1024)} KiB to the sink\n`);
      await sink.stop();
    });
  }
  const tracingEnv: Record<string, string> =
    sink === undefined ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_TRACES_SAMPLER_ARG: String(settings.traceRatio), OTEL_BSP_MAX_QUEUE_SIZE: '65536' };

  const nodes: Array<{ child: Child; port: number }> = [];
  cleanups.push(async () => void (await Promise.all(nodes.map((node) => node.child.stop()))));
  const profileDir = settings.profileDir === undefined ? undefined : `${settings.profileDir}/${name}-${scenario.users}u-${scenario.nodes}n-${scenario.bodyBytes}b`;
  for (let i = 0; i < scenario.nodes; i++) {
    const launch = system.launch(profileDir);
    const { child, value: port } = await startChild({
      name: `${name} node ${i}`,
      ...launch,
      env: {
        PORT: '0',
        REDIS_URL: redis.url,
        JWT_SECRET: secret,
        NODE_ID: `n${i}`,
        LOG_LEVEL: 'info',
        ...systemEnv(system.env, settings.sendRate),
        ...tracingEnv,
      },
      ready: listeningPort,
      timeoutMs: 30_000,
    });
    nodes.push({ child, port });
  }
  const nodePids = nodes.map((node) => node.child.pid);

  const pool = new LoadPool(settings.loadProcesses);
  cleanups.push(() => pool.close());
  const workers = settings.loadProcesses;
  const s: Subjects = { nodePids, nodePorts: nodes.map((node) => node.port), redis, pool };
  const phases = profileDir === undefined ? undefined : new PhaseWindows(profileDir);
  await pool.init(
    { ports: s.nodePorts, secret, seed: settings.seed, bodyBytes: scenario.bodyBytes, connectConcurrency: settings.connectConcurrency, sourceAddresses: settings.sourceAddresses },
    scenario.users,
  );

  await sleep(500);
  result.rssBeforeKib = totalRssKib(nodePids);
  const connectStart = performance.now();
  const connected = await pool.all({ type: 'connect' }, 'connected', 300_000);
  result.connectMs = performance.now() - connectStart;
  const failures = connected.flatMap((reply) => reply.failures);
  if (failures.length > 0) throw new Error(`users could not connect, e.g. ${failures.slice(0, 3).join('; ')}`);

  const probed = await pool.all({ type: 'probe', sample: settings.probeSample, timeoutMs: 240_000 }, 'probed', 270_000);
  result.probeMs = Math.max(...probed.map((reply) => reply.ms));
  result.probed = probed.reduce((total, reply) => total + reply.probed, 0);
  const missing = probed.flatMap((reply) => reply.missing);
  if (missing.length > 0) {
    throw new Error(
      `probes to ${missing.length} users (e.g. ${missing.slice(0, 3).join(', ')}) did not arrive within 240 s: their subscriptions were not live, or the system is too slow to deliver them`,
    );
  }
  await sleep(1000);
  result.rssAfterKib = totalRssKib(nodePids);
  result.rssPerUserKib = (result.rssAfterKib - result.rssBeforeKib) / scenario.users;

  const drainMs = settings.drainSeconds * 1000;
  const phaseTimeout = (seconds: number) => (seconds + settings.drainSeconds + 30) * 1000;
  const perWorker = (total: number) => Math.max(1, Math.round(total / workers));
  const rate: PhaseSpec = { tag: 'r', mode: 'rate', rate: settings.rate / workers, seconds: settings.rateSeconds, maxInFlight: 5000, drainMs };
  const runRatePhase = async () => {
    result.rate = await timed(phases, 'rate', () => measurePhase(s, 'rate', rate, phaseTimeout(settings.rateSeconds)));
    result.failures.push(...phaseFailures(result.rate));
    result.warnings.push(...phaseWarnings(result.rate, settings));
  };
  if (!settings.fullSpeed) return runRatePhase();

  const warmup: PhaseSpec = {
    tag: 'w',
    mode: 'window',
    messages: perWorker(settings.warmupMessages),
    window: perWorker(settings.window),
    maxSeconds: settings.warmupSeconds,
    drainMs,
  };
  // The warm-up may drain for longer: what a slow system still owes from it would land in the
  // measured phase (CPU, bus counters) otherwise.
  const warm = await s.pool.all({ type: 'phase', spec: { ...warmup, drainMs: 3 * drainMs } }, 'phase-done', phaseTimeout(settings.warmupSeconds + 2 * settings.drainSeconds));
  const warmSent = warm.reduce((total, reply) => total + reply.result.sent, 0);
  const warmDelivered = warm.reduce((total, reply) => total + reply.result.delivered, 0);
  if (warmSent !== warmDelivered || warm.some((reply) => !reply.result.drained)) {
    result.failures.push(`warm-up: DELIVERED ${warmDelivered} != SENT ${warmSent}${warm.every((reply) => reply.result.drained) ? '' : ' (not drained in time)'}`);
  }

  const full: PhaseSpec = { ...warmup, tag: 'f', messages: perWorker(settings.messages), maxSeconds: settings.fullSeconds };
  result.full = await timed(phases, 'full', () => measurePhase(s, 'full', full, phaseTimeout(settings.fullSeconds)));
  result.failures.push(...phaseFailures(result.full));
  result.warnings.push(...phaseWarnings(result.full, settings));

  if (!result.full.drained) {
    result.rateSkipped = 'the full-speed phase did not drain';
  } else if (result.full.throughput < settings.rate) {
    result.rateSkipped = `cannot sustain ${settings.rate} msg/s (full speed: ${Math.round(result.full.throughput)} msg/s)`;
  } else {
    await runRatePhase();
  }
}

/**
 * When each measured phase ran, in µs of the monotonic clock V8 stamps its CPU profiles with (the
 * same on every process of the machine), written to `<profileDir>/phases.json` after each phase so
 * that `profile-summary.js --phase full` can count only the samples taken while it ran.
 */
class PhaseWindows {
  readonly #file: string;
  readonly #windows: Partial<Record<PhaseSummary['kind'], { fromUs: number; toUs: number }>> = {};

  constructor(profileDir: string) {
    mkdirSync(profileDir, { recursive: true });
    this.#file = `${profileDir}/phases.json`;
  }

  record(kind: PhaseSummary['kind'], fromUs: number, toUs: number): void {
    this.#windows[kind] = { fromUs, toUs };
    writeFileSync(this.#file, `${JSON.stringify(this.#windows, null, 2)}\n`);
  }
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function timed(windows: PhaseWindows | undefined, kind: PhaseSummary['kind'], run: () => Promise<PhaseSummary>): Promise<PhaseSummary> {
  const fromUs = monotonicUs();
  const summary = await run();
  windows?.record(kind, fromUs, monotonicUs());
  return summary;
}

/** A system's environment; with `--send-rate default` without switchboard's SEND_RATE_PER_SECOND=0, so its nodes run their own default limit. */
function systemEnv(env: Readonly<Record<string, string>>, sendRate: 'off' | 'default'): Record<string, string> {
  const { SEND_RATE_PER_SECOND: lifted, ...rest } = env;
  return sendRate === 'default' || lifted === undefined ? rest : { ...rest, SEND_RATE_PER_SECOND: lifted };
}
