import { fileURLToPath } from 'node:url';
import { startChild, type Child } from '../lib/child-process.ts';
import { listeningPort } from '../lib/contract.ts';

/** The switchboard build under test: the repo's dist/main.js, or SWITCHBOARD_MAIN. */
const MAIN = process.env['SWITCHBOARD_MAIN'] ?? fileURLToPath(new URL('../../../dist/main.js', import.meta.url));

/**
 * Production mode with the abuse limits lifted, as the benchmark runs it (bench/orchestrator/systems.ts):
 * the storm measures reconnect cost, and 10 sends/s per user or 10,000 sockets per node would throttle
 * the harness itself.
 */
const STORM_ENV = { NODE_ENV: 'production', SEND_RATE_PER_SECOND: '0', MAX_CONNECTIONS: '1000000', LOG_LEVEL: 'info' } as const;

/** A switchboard node process. */
export interface StormNode {
  readonly name: string;
  readonly port: number;
  child: Child;
}

export interface NodeSettings {
  readonly redisUrl: string;
  readonly secret: string;
  /** Extra environment (e.g. admission-control knobs). */
  readonly env: Readonly<Record<string, string>>;
  /** Directory for `--cpu-prof` output, when this node is profiled. */
  readonly profileDir?: string | undefined;
}

/** Starts `node dist/main.js` as `name` on `port` (0: a free one) and resolves once it listens. */
export async function startNode(name: string, port: number, settings: NodeSettings): Promise<StormNode> {
  const profile = settings.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`];
  const { child, value } = await startChild({
    name: `switchboard ${name}`,
    command: process.execPath,
    args: [...profile, MAIN],
    env: { ...STORM_ENV, PORT: String(port), REDIS_URL: settings.redisUrl, JWT_SECRET: settings.secret, NODE_ID: name, ...settings.env },
    ready: listeningPort,
    timeoutMs: 30_000,
  });
  return { name, port: value, child };
}

