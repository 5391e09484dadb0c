#!/usr/bin/env node
// Connect/disconnect rate with presence on vs off, measured in one run (docs/PRESENCE.md).
//
//   npm run build && node scripts/presence-load.mjs [--seconds 5] [--rounds 2] [--clients 64] [--users 500]
//
// Starts a private redis-server and, per setting, two `node dist/main.js` processes on it; closed-loop
// clients (spread over both nodes) each open a graphql-ws socket, wait for connection_ack (sent once
// the session counts cluster-wide), close it and wait for the close, over and over, as one of `--users`
// users. Settings alternate (off, on, on with no grace period) for `--rounds` rounds; it prints, per
// setting, the cycles per second and the CPU seconds (both nodes plus Redis) per 1000 cycles, each with
// its ratio to `off` within a round (medians over rounds). The load runs in this process, so on a
// small machine the figures are ratios, not capacities.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '64' },
    users: { type: 'string', default: '500' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const USERS = Number(values.users);
const SECRET = 'presence-load-secret-of-at-least-32-bytes';
const SETTINGS = [
  { name: 'off', env: { PRESENCE: 'off' } },
  { name: 'on (grace 3 s, default)', env: { PRESENCE: 'on' } },
  { name: 'on (grace 0: every cycle goes online and offline)', env: { PRESENCE: 'on', PRESENCE_GRACE_SECONDS: '0' } },
];

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'presence-load-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function startNode(env) {
  const child = spawn(process.execPath, ['dist/main.js'], {
    env: { PATH: process.env.PATH, PORT: '0', JWT_SECRET: SECRET, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      const match = /"port":(\d+)/u.exec(buffered);
      if (match !== null) {
        resolve({ wsUrl: `ws://127.0.0.1:${match[1]}/graphql`, metricsUrl: `http://127.0.0.1:${match[1]}/metrics`, stop: () => stopChild(child) });
      }
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** One connect → connection_ack → close → closed cycle. */
function cycle(wsUrl, token) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.once('message', () => socket.close(1000));
    socket.once('close', (code) => (code === 1000 ? resolve() : reject(new Error(`closed with ${code}`))));
    socket.once('error', reject);
  });
}

/** CPU seconds used so far by the nodes (their /metrics) and by Redis (INFO cpu). */
async function cpuSeconds(nodes, redis) {
  let total = 0;
  for (const node of nodes) {
    const text = await (await fetch(node.metricsUrl)).text();
    total += Number(/^process_cpu_seconds_total (\S+)$/mu.exec(text)?.[1] ?? NaN);
  }
  const info = await redis.info('cpu');
  for (const field of ['used_cpu_sys', 'used_cpu_user']) total += Number(new RegExp(`^${field}:(\\S+)`, 'mu').exec(info)?.[1] ?? NaN);
  return total;
}

async function measure(nodes, tokens, redis) {
  const cpuBefore = await cpuSeconds(nodes, redis);
  let cycles = 0;
  let failures = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = client; Date.now() < deadline; i += CLIENTS) {
        try {
          await cycle(nodes[i % nodes.length].wsUrl, tokens[i % tokens.length]);
          cycles += 1;
        } catch {
          failures += 1;
        }
      }
    }),
  );
  const cpu = (await cpuSeconds(nodes, redis)) - cpuBefore;
  return { rate: cycles / ((Date.now() - started) / 1000), cpuPerThousand: (cpu / cycles) * 1000, failures };
}

const key = new TextEncoder().encode(SECRET);
const tokens = await Promise.all(
  Array.from({ length: USERS }, (_, index) =>
    new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(`load-${index}`).setExpirationTime('1h').sign(key),
  ),
);
const redis = await startRedis();
const admin = new Redis(redis.url);
const results = new Map(SETTINGS.map((setting) => [setting.name, []]));
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const setting of SETTINGS) {
      const nodes = await Promise.all([0, 1].map(() => startNode({ REDIS_URL: redis.url, ...setting.env })));
      await measure(nodes, tokens.slice(0, 50), admin); // warm-up: JIT, Redis script cache
      const result = await measure(nodes, tokens, admin);
      results.get(setting.name).push(result);
      process.stderr.write(
        `round ${round + 1}: ${setting.name}: ${result.rate.toFixed(0)} cycles/s, ${result.cpuPerThousand.toFixed(3)} CPU s per 1000 cycles` +
          `${result.failures > 0 ? `, ${result.failures} failures` : ''}\n`,
      );
      await Promise.all(nodes.map((node) => node.stop()));
    }
  }
} finally {
  admin.disconnect();
  redis.stop();
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const off = results.get('off');
console.log(`connect/disconnect cycles, two nodes on one Redis, ${CLIENTS} clients, ${USERS} users, ${ROUNDS} rounds of ${SECONDS} s:`);
for (const [name, list] of results) {
  // Each round measures every setting back to back, so ratios within a round are the robust figures
  // when the machine's load drifts; medians over rounds are printed. CPU per cycle (both nodes and
  // Redis) is less sensitive to other load on the machine than the rate is.
  const rateRatios = list.map((result, round) => result.rate / off[round].rate);
  const cpuRatios = list.map((result, round) => result.cpuPerThousand / off[round].cpuPerThousand);
  console.log(
    `  presence ${name.padEnd(50)} ${median(list.map((result) => result.rate)).toFixed(0).padStart(6)} /s (rate ratio to off ${median(rateRatios).toFixed(2)})` +
      `   ${median(list.map((result) => result.cpuPerThousand)).toFixed(3)} CPU s/1000 cycles (ratio ${median(cpuRatios).toFixed(2)})`,
  );
}
