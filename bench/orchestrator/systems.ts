import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A system under test: how to start one of its nodes. All of them speak the same contract. */
export interface System {
  /** Name in the report. */
  readonly name: SystemName;
  readonly script: string;
  /** Extra environment for each node. */
  readonly env: Readonly<Record<string, string>>;
  readonly description: string;
}

export type SystemName = 'switchboard-user' | 'switchboard-broadcast' | 'floor' | 'card-literal';

export const SYSTEM_NAMES: readonly SystemName[] = ['switchboard-user', 'switchboard-broadcast', 'floor', 'card-literal'];

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

/** Every system, in report order. */
export const SYSTEMS: Readonly<Record<SystemName, System>> = {
  'switchboard-user': {
    name: 'switchboard-user',
    script: switchboardMain,
    env: { ROUTING: 'user', ...SWITCHBOARD_LOAD_ENV },
    description: 'switchboard, ROUTING=user (one Redis channel per recipient)',
  },
  'switchboard-broadcast': {
    name: 'switchboard-broadcast',
    script: switchboardMain,
    env: { ROUTING: 'broadcast', ...SWITCHBOARD_LOAD_ENV },
    description: 'switchboard, ROUTING=broadcast (one channel, every node receives every message)',
  },
  floor: {
    name: 'floor',
    script: benchFile('floor/server.js'),
    env: {},
    description: 'bench/floor: node:http + ws + ioredis, no GraphQL execution, one channel per user',
  },
  'card-literal': {
    name: 'card-literal',
    script: benchFile('card-literal/server.js'),
    env: {},
    description: 'bench/card-literal: yoga + graphql-ws + RedisPubSub, withFilter on one topic',
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
