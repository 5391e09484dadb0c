import { parseArgs } from 'node:util';
import { MAX_SOURCE_ADDRESSES } from '../load/source-address.ts';
import { CAPACITY_SYSTEMS, parseSystems, SMOKE_SYSTEMS, SYSTEM_NAMES, type SystemName } from './systems.ts';
import type { Scenario, Settings } from './types.ts';

/** What `run.ts` does, from its command line. */
export interface Options {
  readonly preset: PresetName;
  readonly scenarios: Scenario[];
  readonly systems: SystemName[];
  readonly settings: Settings;
  readonly outDir: string;
  readonly writeDoc: boolean;
}

/** `npm run bench`, `npm run bench:smoke`, `npm run bench:capacity`. */
type PresetName = 'matrix' | 'smoke' | 'node-capacity';

const PRESETS = {
  matrix: {
    systems: SYSTEM_NAMES, repeat: 1, loadProcesses: 2, sourceAddresses: 16, fullSpeed: true,
    users: '1000,5000,20000', nodes: '2,4', body: '100,4096',
    messages: 20_000, window: 64, fullSeconds: 15, rate: 500, rateSeconds: 10,
    warmupMessages: 2000, warmupSeconds: 3, drainSeconds: 30, probeSample: 250, runTimeoutSeconds: 600, quietWaitSeconds: 45,
  },
  // CI: delivery only, a few seconds per system. Two source addresses, so that path runs in CI too.
  smoke: {
    systems: SMOKE_SYSTEMS, repeat: 1, loadProcesses: 2, sourceAddresses: 2, fullSpeed: true,
    users: '300', nodes: '2', body: '100',
    messages: 1000, window: 32, fullSeconds: 3, rate: 50, rateSeconds: 2,
    warmupMessages: 100, warmupSeconds: 1, drainSeconds: 10, probeSample: 1000, runTimeoutSeconds: 60, quietWaitSeconds: 0,
  },
  // Issue 12: one full node. 18,000 sockets from 3 load processes (6,000 open files each) over 16
  // source addresses; no warm-up and no full-speed phase, so the fixed-rate phase's first second is
  // the node's first second of load; 3 repeats, medians.
  'node-capacity': {
    systems: CAPACITY_SYSTEMS, repeat: 3, loadProcesses: 3, sourceAddresses: 16, fullSpeed: false,
    users: '18000', nodes: '1', body: '100',
    messages: 0, window: 64, fullSeconds: 0, rate: 1000, rateSeconds: 20,
    warmupMessages: 0, warmupSeconds: 0, drainSeconds: 30, probeSample: 250, runTimeoutSeconds: 900, quietWaitSeconds: 45,
  },
} as const satisfies Record<PresetName, unknown>;

const isPreset = (value: string): value is PresetName => Object.hasOwn(PRESETS, value);

const intList = (flag: string, raw: string): number[] =>
  raw.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value <= 0) throw new Error(`Invalid --${flag}: expected positive integers separated by commas: current value '${raw}'`);
    return value;
  });

const int = (flag: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`Invalid --${flag}: expected a positive number: current value '${raw}'`);
  return value;
};

const count = (flag: string, raw: string | undefined, fallback: number, max: number): number => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`Invalid --${flag}: expected an integer from 0 to ${max}: current value '${raw}'`);
  return value;
};

/** Parses the command line. @throws on an unknown flag or a bad value. */
export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      preset: { type: 'string', default: 'matrix' },
      users: { type: 'string' },
      nodes: { type: 'string' },
      body: { type: 'string' },
      systems: { type: 'string' },
      messages: { type: 'string' },
      window: { type: 'string' },
      seconds: { type: 'string' },
      rate: { type: 'string' },
      'rate-seconds': { type: 'string' },
      'load-procs': { type: 'string' },
      repeat: { type: 'string' },
      probe: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string', default: 'bench/results' },
      'write-doc': { type: 'boolean', default: false },
      profile: { type: 'string' },
      'source-addresses': { type: 'string' },
      'quiet-wait': { type: 'string' },
      'send-rate': { type: 'string', default: 'off' },
      'trace-ratio': { type: 'string' },
    },
  });
  const preset = values.preset;
  if (!isPreset(preset)) throw new Error(`Invalid --preset: expected ${Object.keys(PRESETS).join(', ')}: current value '${preset}'`);
  const p = PRESETS[preset];
  const scenarios: Scenario[] = [];
  for (const users of intList('users', values.users ?? p.users)) {
    for (const nodes of intList('nodes', values.nodes ?? p.nodes)) {
      for (const bodyBytes of intList('body', values.body ?? p.body)) scenarios.push({ users, nodes, bodyBytes });
    }
  }
  const settings: Settings = {
    fullSpeed: p.fullSpeed,
    messages: int('messages', values.messages, p.messages),
    window: int('window', values.window, p.window),
    fullSeconds: int('seconds', values.seconds, p.fullSeconds),
    rate: int('rate', values.rate, p.rate),
    rateSeconds: int('rate-seconds', values['rate-seconds'], p.rateSeconds),
    warmupMessages: p.warmupMessages,
    warmupSeconds: p.warmupSeconds,
    drainSeconds: p.drainSeconds,
    probeSample: int('probe', values.probe, p.probeSample),
    loadProcesses: int('load-procs', values['load-procs'], p.loadProcesses),
    repeat: int('repeat', values.repeat, p.repeat),
    connectConcurrency: 200,
    sourceAddresses: count('source-addresses', values['source-addresses'], p.sourceAddresses, MAX_SOURCE_ADDRESSES),
    seed: int('seed', values.seed, 1),
    runTimeoutSeconds: p.runTimeoutSeconds,
    quietWaitSeconds: count('quiet-wait', values['quiet-wait'], p.quietWaitSeconds, 3600),
    profileDir: values.profile,
    sendRate: sendRateOption(values['send-rate']),
    traceRatio: traceRatioOption(values['trace-ratio']),
  };
  return { preset, scenarios, systems: parseSystems(values.systems ?? p.systems.join(',')), settings, outDir: values.out, writeDoc: values['write-doc'] };
}

/** `--send-rate off` (the default: the limit lifted) or `default` (the node's own SEND_RATE_PER_SECOND, 10 a second per sender). */
function sendRateOption(raw: string): 'off' | 'default' {
  if (raw === 'off' || raw === 'default') return raw;
  throw new Error(`Invalid --send-rate: expected off or default: current value '${raw}'`);
}

/** `--trace-ratio R`: switchboard traces R (0 to 1) of its sends to an OTLP sink; unset: tracing off. */
function traceRatioOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ratio = Number(raw);
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`Invalid --trace-ratio: expected a number from 0 to 1: current value '${raw}'`);
  return ratio;
}
