// CPU a node spends per WebSocket handshake of a resuming client, the unit of a reconnect storm.
//
//   npm run build && tsc -p bench/tsconfig.json
//   node scripts/handshake-cost.mjs [--sockets 3000] [--rounds 3] [--concurrency 500]
//        [--system switchboard|floor|mercurius] [--main dist/main.js] [--profile <dir>]
//
// Starts a private redis-server and one node of the system (production mode, as in the benchmark),
// then, per round, opens --sockets sockets at --concurrency at a time, each as the storm's client
// does: connect, connection_init with its own HS256 token, wait for connection_ack, subscribe to
// messageReceived(after: a cursor with nothing after it), and waits until the node's CPU is idle;
// then closes them all and waits again. Prints the node's CPU (user + system, from /proc, the
// kernel's TCP work included) per opened and per closed socket, for each round. Switchboard resumes
// with `after`; the floor and Mercurius have no history, so their clients subscribe without it.
// --profile writes the node's --cpu-prof there (for bench/dist/profile-summary.js).
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { benchmarkEnv, cpuMsOf, listeningPort, startRedis, systemScript } from './lib/systems.mjs';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '500' },
    system: { type: 'string', default: 'switchboard' },
    main: { type: 'string' },
    profile: { type: 'string' },
  },
});
const count = Number(values.sockets);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const script = systemScript(values.system, values.main);
const resumes = values.system === 'switchboard';

const secret = 'handshake-cost-secret-of-at-least-thirty-two-bytes';
const key = new TextEncoder().encode(secret);
const tokens = await Promise.all(
  Array.from({ length: count }, (_, i) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(`h${i}`).setExpirationTime('1h').sign(key)),
);

const { port: redisPort, process: redis } = startRedis();
const profile = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
const node = spawn(process.execPath, [...profile, script], {
  env: benchmarkEnv(redisPort, secret),
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await listeningPort(node);
const nodeCpuMs = () => cpuMsOf(node.pid);

/** Waits until the node used under 10% of a core over 300 ms (a profiled node idles at about 6%). */
async function idle() {
  for (;;) {
    const before = nodeCpuMs();
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (nodeCpuMs() - before <= 30) return;
  }
}

const subscribe = (after) =>
  JSON.stringify({
    id: '1',
    type: 'subscribe',
    payload: after === undefined ? { query: 'subscription { messageReceived { id body } }' } : { query: 'subscription($after:ID){messageReceived(after:$after){id body}}', variables: { after } },
  });

/** Opens one socket the way a resuming client does; resolves with it once its subscribe is sent. */
function open(i, localAddress) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws', { localAddress, perMessageDeflate: false });
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${tokens[i]}` } })));
    socket.on('message', (data) => {
      const type = JSON.parse(String(data)).type;
      if (type === 'connection_ack') {
        socket.send(subscribe(resumes ? `${Date.now()}-0` : undefined));
        resolve(socket);
      } else if (type === 'ping') socket.send('{"type":"pong"}');
    });
    socket.on('error', reject);
    socket.on('close', (code) => reject(new Error(`socket ${i} closed ${code} before its ack`)));
  });
}

const lines = [];
for (let round = 0; round < rounds; round++) {
  await idle();
  const localAddress = `127.0.${30 + round}.1`;
  const sockets = [];
  let next = 0;
  const cpuBefore = nodeCpuMs();
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) sockets.push(await open(i, localAddress));
    }),
  );
  const openMs = performance.now() - started;
  const client = process.cpuUsage(clientBefore);
  const clientMs = (client.user + client.system) / 1000;
  await idle();
  const opened = nodeCpuMs() - cpuBefore;
  const closeBefore = nodeCpuMs();
  await Promise.all(sockets.map((socket) => new Promise((resolve) => (socket.once('close', resolve), socket.close(1000)))));
  await idle();
  const closed = nodeCpuMs() - closeBefore;
  lines.push(
    `round ${round + 1}: ${count} opened in ${(openMs / 1000).toFixed(1)} s; node CPU ${(opened / count).toFixed(3)} ms per open, ${(closed / count).toFixed(3)} ms per close; client CPU ${(clientMs / count).toFixed(3)} ms per open`,
  );
  process.stderr.write(`${lines.at(-1)}\n`);
}
console.log(`${values.system} (${script}), ${count} sockets per round at ${concurrency} at a time:\n  ${lines.join('\n  ')}`);
node.kill('SIGTERM');
await new Promise((resolve) => node.once('exit', resolve));
redis.kill('SIGTERM');
process.exit(0);
