// What one node spends per HTTP `sendMessage` with real Redis: its CPU (user + system, from /proc,
// the kernel's loopback TCP included) and its write system calls (/proc/<pid>/io `syscw`), per send.
//
//   npm run build && node scripts/http-send-cost.mjs [--sends 15000] [--concurrency 64]
//        [--system switchboard|switchboard-deno|floor|mercurius] [--main dist/main.js] [--profile <dir>]
//
// Starts a private redis-server and one node (production mode, as in the benchmark, the send-rate
// limit lifted), then sends from this process over --concurrency keep-alive connections, each
// waiting for its answer before the next send, first --sends to warm up and then --sends measured.
// Nobody is subscribed, so this is the sending side alone: HTTP, GraphQL, the token, the send script
// and the answer. Redis' own reads per send (INFO stats) show how the node's writes were batched.
// Run two builds alternately (`--main` for the other) a few times each: the box is noisy.
// switchboard-deno is deno.json's start task on this checkout's src/ (`--main` and `--profile` do
// not apply; run it from another checkout for a before/after). Deno writes its sockets with send
// calls, which `syscw` does not count: its write column is near 0; Redis' reads still tell.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { benchmarkEnv, cpuMsOf, gcLaunch, listeningPort, startRedis, systemScript } from './lib/systems.mjs';

const { values } = parseArgs({
  options: {
    sends: { type: 'string', default: '15000' },
    concurrency: { type: 'string', default: '64' },
    system: { type: 'string', default: 'switchboard' },
    main: { type: 'string' },
    profile: { type: 'string' },
  },
});
const sends = Number(values.sends);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(sends) || sends <= 0) throw new Error(`Invalid --sends: expected a positive integer: current value '${values.sends}'`);
if (!Number.isInteger(concurrency) || concurrency <= 0) throw new Error(`Invalid --concurrency: expected a positive integer: current value '${values.concurrency}'`);
const deno = values.system === 'switchboard-deno';
const launch = deno ? gcLaunch('switchboard-deno') : { command: process.execPath, args: [...(values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`]), systemScript(values.system, values.main)] };

const secret = 'http-send-cost-secret-of-at-least-thirty-two-bytes';
const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('sender').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
const { port: redisPort, process: redisServer } = startRedis();
const node = spawn(launch.command, launch.args, { cwd: launch.cwd, env: benchmarkEnv(redisPort, secret), stdio: ['ignore', 'pipe', 'inherit'] });
const port = await listeningPort(node);
const redis = new Redis(redisPort);

/** The node's CPU so far (ms) and its write system calls; Redis' reads from all its clients. */
async function counters() {
  const io = readFileSync(`/proc/${node.pid}/io`, 'utf8');
  const info = await redis.info('stats');
  return {
    cpuMs: cpuMsOf(node.pid),
    writes: Number(/^syscw: (\d+)/mu.exec(io)?.[1]),
    redisReads: Number(/^total_reads_processed:(\d+)/mu.exec(info)?.[1]),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const query = 'mutation Send($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body) { id sentAt } }';
function send(i) {
  const body = JSON.stringify({ query, variables: { to: `u${i % 500}`, body: 'x'.repeat(100) } });
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` };
    const req = request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 && !text.includes('"errors"') ? resolve() : reject(new Error(`Cannot measure: a send failed: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}
async function sendAll() {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < sends; i = next++) await send(i);
  }));
}

try {
  await sendAll();
  const before = await counters();
  const started = performance.now();
  await sendAll();
  const seconds = (performance.now() - started) / 1000;
  const after = await counters();
  const per = (field) => (after[field] - before[field]) / sends;
  console.log(
    `${values.main ?? values.system}: ${(per('cpuMs') * 1000).toFixed(1)} µs of node CPU per send, ` +
      `${per('writes').toFixed(2)} write calls per send, ${per('redisReads').toFixed(3)} Redis reads per send ` +
      `(${sends} sends, ${Math.round(sends / seconds)}/s, concurrency ${concurrency})`,
  );
} finally {
  agent.destroy();
  redis.disconnect();
  node.kill('SIGTERM');
  redisServer.kill();
}
