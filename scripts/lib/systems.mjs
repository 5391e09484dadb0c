// What the measuring scripts (socket-memory, handshake-cost) run a node of, and a private Redis for it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

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

/** What socket-memory can measure: the systems of {@link systemScript}, switchboard on Deno, and the bare references. */
const MEASURABLE = ['switchboard', 'switchboard-deno', 'floor', 'mercurius', 'bare-node', 'bare-deno'];

/**
 * How to start `system` with a full GC and a JSON line of memory figures on stderr at each SIGUSR2:
 * `{ command, args, cwd }`. Node scripts run with `--expose-gc -r scripts/gc-on-signal.cjs`; Deno
 * ones with `--v8-flags=--expose-gc --preload scripts/gc-on-signal.deno.mjs`. switchboard-deno is
 * deno.json's `start` task (its deno binary, permissions and src/main-deno.ts, from the repo root),
 * so it always runs this checkout's src/ (`main` does not apply). bare-node and bare-deno are
 * scripts/bare-socket/. With `snapshotDir`, each SIGUSR2 also writes a heap snapshot there.
 * @throws on an unknown system.
 */
export function gcLaunch(system, main, snapshotDir) {
  const nodeGc = ['--expose-gc', '-r', `${repo}scripts/gc-on-signal.cjs`];
  // Deno's preload cannot read HEAP_SNAPSHOT_DIR (the start task allows a fixed list of variables):
  // it gets the directory in its URL, and the permission to write there.
  const preload = new URL(`file://${repo}scripts/gc-on-signal.deno.mjs`);
  if (snapshotDir !== undefined) preload.searchParams.set('dir', snapshotDir);
  const denoGc = ['--v8-flags=--expose-gc', ...(snapshotDir === undefined ? [] : [`--allow-write=${snapshotDir}`]), '--preload', preload.href];
  if (system === 'bare-node') return { command: process.execPath, args: [...nodeGc, `${repo}scripts/bare-socket/node.mjs`], cwd: repo };
  if (system === 'bare-deno') return { command: `${repo}node_modules/.bin/deno`, args: ['run', ...denoGc, '--allow-net', `${repo}scripts/bare-socket/deno.mjs`], cwd: repo };
  if (system === 'switchboard-deno') {
    const task = JSON.parse(readFileSync(`${repo}deno.json`, 'utf8')).tasks?.start;
    const [binary, subcommand, ...rest] = typeof task === 'string' ? task.trim().split(/\s+/u) : [];
    if (binary === undefined || subcommand !== 'run') throw new Error(`Cannot start switchboard-deno: deno.json's 'start' task is not 'deno run …': current value ${JSON.stringify(task)}`);
    return { command: binary.includes('/') ? `${repo}${binary}` : binary, args: ['run', ...denoGc, ...rest], cwd: repo };
  }
  if (!MEASURABLE.includes(system)) throw new Error(`Invalid --system: expected ${MEASURABLE.join(', ')}: current value '${system}'`);
  return { command: process.execPath, args: [...nodeGc, systemScript(system, main)], cwd: repo };
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

/** The port a started node logs in its `listening` line (its stdout, JSON lines); rejects if it exits first. */
export function listeningPort(child) {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /"msg":"listening"/u.test(line) ? /"port":(\d+)/u.exec(line) : null;
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the node exited with ${code}`)));
  });
}

/** CPU time a process has used so far (user + system, from /proc, the kernel's work for it included), ms. */
export function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
