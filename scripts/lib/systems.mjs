// What the measuring scripts (socket-memory, handshake-cost) run a node of, and a private Redis for it.
import { spawn } from 'node:child_process';

const repo = new URL('../..', import.meta.url).pathname;

/** The entry script of `system` (switchboard: `main`, or this repo's dist/main.js). @throws on an unknown system. */
export function systemScript(system, main) {
  const scripts = {
    switchboard: main ?? `${repo}dist/main.js`,
    floor: `${repo}bench/dist/floor/server.js`,
    mercurius: `${repo}bench/dist/mercurius/server.js`,
  };
  const script = scripts[system];
  if (script === undefined) throw new Error(`Invalid --system: expected switchboard, floor or mercurius: current value '${system}'`);
  return script;
}

/** A redis-server on a random port, nothing persisted: `{ port, process }`. */
export function startRedis() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  return { port, process: spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }) };
}

/** A node's environment as the benchmark runs it: production mode, abuse limits lifted, a free port. */
export function benchmarkEnv(redisPort, secret, extra = {}) {
  return {
    ...process.env,
    PORT: '0',
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    JWT_SECRET: secret,
    NODE_ENV: 'production',
    SEND_RATE_PER_SECOND: '0',
    MAX_CONNECTIONS: '1000000',
    LOG_LEVEL: 'info',
    ...extra,
  };
}
