import { parseArgs } from 'node:util';
import { parseSystems, SMOKE_SYSTEMS, SYSTEM_NAMES, type SystemName } from './systems.ts';
import type { Scenario, Settings } from './types.ts';

/** What `run.ts` does, from its command line. */
export interface Options {
  readonly preset: 'matrix' | 'smoke';
  readonly scenarios: Scenario[];
  readonly systems: SystemName[];
  readonly settings: Settings;
  readonly outDir: string;
  readonly writeDoc: boolean;
}

const PRESETS = {
  matrix: {
    systems: SYSTEM_NAMES,
    users: '1000,5000,20000', nodes: '2,4', body: '100,4096',
    messages: 20_000, window: 64, fullSeconds: 15, rate: 500, rateSeconds: 10,
    warmupMessages: 2000, warmupSeconds: 3, drainSeconds: 30, probeSample: 250, runTimeoutSeconds: 600, quietWaitSeconds: 45,
  },
  smoke: {
    systems: SMOKE_SYSTEMS,
    users: '300', nodes: '2', body: '100',
    messages: 1000, window: 32, fullSeconds: 3, rate: 50, rateSeconds: 2,
    warmupMessages: 100, warmupSeconds: 1, drainSeconds: 10, probeSample: 1000, runTimeoutSeconds: 60, quietWaitSeconds: 0,
  },
} as const;

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
    },
  });
  const preset = values.preset;
  if (preset !== 'matrix' && preset !== 'smoke') throw new Error(`Invalid --preset: expected matrix or smoke: current value '${preset}'`);
  const p = PRESETS[preset];
  const scenarios: Scenario[] = [];
  for (const users of intList('users', values.users ?? p.users)) {
    for (const nodes of intList('nodes', values.nodes ?? p.nodes)) {
      for (const bodyBytes of intList('body', values.body ?? p.body)) scenarios.push({ users, nodes, bodyBytes });
    }
  }
  const settings: Settings = {
    messages: int('messages', values.messages, p.messages),
    window: int('window', values.window, p.window),
    fullSeconds: int('seconds', values.seconds, p.fullSeconds),
    rate: int('rate', values.rate, p.rate),
    rateSeconds: int('rate-seconds', values['rate-seconds'], p.rateSeconds),
    warmupMessages: p.warmupMessages,
    warmupSeconds: p.warmupSeconds,
    drainSeconds: p.drainSeconds,
    probeSample: int('probe', values.probe, p.probeSample),
    loadProcesses: int('load-procs', values['load-procs'], 2),
    repeat: int('repeat', values.repeat, 1),
    connectConcurrency: 200,
    seed: int('seed', values.seed, 1),
    runTimeoutSeconds: p.runTimeoutSeconds,
    quietWaitSeconds: p.quietWaitSeconds,
    profileDir: values.profile,
  };
  return { preset, scenarios, systems: parseSystems(values.systems ?? p.systems.join(',')), settings, outDir: values.out, writeDoc: values['write-doc'] };
}
