import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The command line of one node. */
interface Launch {
  /** The executable (node itself, or deno). */
  readonly command: string;
  readonly args: readonly string[];
  /** Working directory (the orchestrator's when absent). */
  readonly cwd?: string;
}

/** A system under test: how to start one of its nodes. All of them speak the same contract. */
export interface System {
  /** Name in the report. */
  readonly name: SystemName;
  /**
   * The command line of a node; with a profile directory, one that makes the runtime write its CPU
   * profile there. @throws when the system cannot be started here (see `denoLaunch`).
   */
  launch(profileDir: string | undefined): Launch;
  /** Extra environment for each node. */
  readonly env: Readonly<Record<string, string>>;
  readonly description: string;
}

/** The systems `--systems` accepts. */
export type SystemName = 'switchboard-user' | 'switchboard-broadcast' | 'switchboard-deno' | 'floor' | 'card-literal' | 'mercurius';

/** Every system, in report order. */
export const SYSTEM_NAMES: readonly SystemName[] = ['switchboard-user', 'switchboard-broadcast', 'switchboard-deno', 'floor', 'card-literal', 'mercurius'];

/**
 * The smoke preset's systems (CI): every reference and both routings on Node. switchboard-deno is
 * left out to keep CI's run short; the Deno build has its own test suite runs.
 */
export const SMOKE_SYSTEMS: readonly SystemName[] = SYSTEM_NAMES.filter((name) => name !== 'switchboard-deno');

/** The node-capacity preset's systems: switchboard next to the floor and Mercurius (issue 12). */
export const CAPACITY_SYSTEMS: readonly SystemName[] = ['switchboard-user', 'floor', 'mercurius'];

/**
 * Production mode, but with the abuse limits lifted: the benchmark measures delivery cost, and the
 * production defaults (10 sends/s per user, 10,000 connections per node) would throttle the load
 * generator itself (the 20k-user, 2-node scenario holds exactly 10,000 sockets per node).
 */
const SWITCHBOARD_LOAD_ENV = { NODE_ENV: 'production', SEND_RATE_PER_SECOND: '0', MAX_CONNECTIONS: '1000000' } as const;

const repoFile = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const benchFile = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/**
 * The switchboard entry point: the repo's own build (dist/main.js), or SWITCHBOARD_MAIN to compare
 * another build (e.g. a worktree of an older commit).
 */
const switchboardMain = process.env['SWITCHBOARD_MAIN'] ?? repoFile('dist/main.js');

/**
 * Which switchboard was measured: the entry point and the git commit of the checkout it was built
 * from, marked when that checkout has uncommitted changes under src/.
 */
export function switchboardRevision(): string {
  const git = (...args: string[]) => execFileSync('git', ['-C', dirname(switchboardMain), ...args], { encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', '../src') !== '';
    const head = git('rev-parse', '--short', 'HEAD');
    const src = git('log', '-1', '--format=%h %s', '--', '../src').slice(0, 100);
    return `${switchboardMain} built from ${head}${dirty ? ' + uncommitted src/ changes' : ''} (src/ last changed in ${src})`;
  } catch {
    return `${switchboardMain} (no git checkout)`;
  }
}

/** A node of a Node.js script; `--cpu-prof` when profiling. */
const nodeScript =
  (script: string) =>
  (profileDir: string | undefined): Launch => ({
    command: process.execPath,
    args: [...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]), script],
  });

/**
 * Switchboard on Deno exactly as `npm run start:deno` starts it: the command line of deno.json's
 * `start` task (the repo's deno binary, its permission flags, src/main-deno.ts), run from the repo
 * root. It runs this checkout's src/ (Deno compiles TypeScript itself), so SWITCHBOARD_MAIN does not
 * apply to it. @throws when deno.json has no such task.
 */
function denoLaunch(profileDir: string | undefined): Launch {
  const tasks = (JSON.parse(readFileSync(repoFile('deno.json'), 'utf8')) as { tasks?: Record<string, unknown> }).tasks;
  const task = tasks?.['start'];
  const [binary, subcommand, ...rest] = typeof task === 'string' ? task.trim().split(/\s+/u) : [];
  if (binary === undefined || subcommand !== 'run' || rest.length === 0) {
    throw new Error(`Cannot start switchboard-deno: deno.json's 'start' task is not 'deno run …': current value ${JSON.stringify(task)}`);
  }
  return {
    // A path is the repo's (`./node_modules/.bin/deno`); a bare name is looked up on the PATH.
    command: binary.includes('/') ? repoFile(binary) : binary,
    cwd: repoFile(''),
    args: ['run', ...(profileDir === undefined ? [] : [`--cpu-prof-dir=${resolve(profileDir)}`]), ...rest],
  };
}

/** Every system, by name. */
export const SYSTEMS: Readonly<Record<SystemName, System>> = {
  'switchboard-user': {
    name: 'switchboard-user',
    launch: nodeScript(switchboardMain),
    env: { ROUTING: 'user', ...SWITCHBOARD_LOAD_ENV },
    description: 'switchboard, ROUTING=user (one Redis channel per recipient)',
  },
  'switchboard-broadcast': {
    name: 'switchboard-broadcast',
    launch: nodeScript(switchboardMain),
    env: { ROUTING: 'broadcast', ...SWITCHBOARD_LOAD_ENV },
    description: 'switchboard, ROUTING=broadcast (one channel, every node receives every message)',
  },
  'switchboard-deno': {
    name: 'switchboard-deno',
    launch: denoLaunch,
    env: { ROUTING: 'user', ...SWITCHBOARD_LOAD_ENV },
    description: "switchboard on Deno (deno.json's start task: src/main-deno.ts, Deno.serve), ROUTING=user; always this checkout's src/",
  },
  floor: {
    name: 'floor',
    launch: nodeScript(benchFile('floor/server.js')),
    env: {},
    description: 'bench/floor: node:http + ws + ioredis, no GraphQL execution, one channel per user',
  },
  'card-literal': {
    name: 'card-literal',
    launch: nodeScript(benchFile('card-literal/server.js')),
    env: {},
    description: 'bench/card-literal: yoga + graphql-ws + RedisPubSub, withFilter on one topic',
  },
  mercurius: {
    name: 'mercurius',
    launch: nodeScript(benchFile('mercurius/server.js')),
    env: {},
    description: 'bench/mercurius: Fastify + mercurius (jit: 1) + mqemitter-redis, one topic per recipient, graphql-transport-ws',
  },
};

/** Parses a comma-separated list of system names. @throws on an unknown name. */
export function parseSystems(list: string): SystemName[] {
  return list.split(',').map((raw) => {
    const name = SYSTEM_NAMES.find((candidate) => candidate === raw.trim());
    if (name === undefined) {
      throw new Error(`Invalid --systems: expected names from ${SYSTEM_NAMES.join(', ')}: current value '${raw}'`);
    }
    return name;
  });
}
