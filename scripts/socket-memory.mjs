// Retained memory per subscribed graphql-ws socket, after a forced GC, on one node.
//
//   npm run build && tsc -p bench/tsconfig.json
//   node scripts/socket-memory.mjs [--sockets 5000] [--main dist/main.js]
//        [--system switchboard|switchboard-deno|floor|mercurius|bare-node|bare-deno]
//
// Starts a private redis-server and one node of the system with `--expose-gc` and a preload
// (scripts/gc-on-signal.cjs; on Deno `--v8-flags=--expose-gc` and scripts/gc-on-signal.deno.mjs)
// that answers SIGUSR2 with a full GC and a line of process.memoryUsage() (Deno.memoryUsage()).
// switchboard-deno is deno.json's start task on this checkout's src/; bare-node and bare-deno are
// scripts/bare-socket/ (node:http + ws, Deno.serve + Deno.upgradeWebSocket, no other library), to
// tell what the runtime's own WebSocket holds from what the service holds. "Young generation" is
// how much V8's new space grew between the readings: empty after the GC, but resident; it grows with
// the allocation rate up to a fixed cap (V8's semi-space size), so it is a cost per process that a
// run with few sockets spreads over them, not one per socket.
// Opens 50 sockets to warm up, reads the baseline, opens the rest (each: connection_init with its own
// HS256 token, subscribe to messageReceived, wait for one message), reads again, and prints RSS and
// heap per socket. The node runs in production mode, as in the benchmark.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { benchmarkEnv, gcLaunch, listeningPort, startRedis } from './lib/systems.mjs';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '5000' },
    system: { type: 'string', default: 'switchboard' },
    main: { type: 'string' },
  },
});
const count = Number(values.sockets);
const launch = gcLaunch(values.system, values.main, process.env.HEAP_SNAPSHOT_DIR);

const secret = 'socket-memory-secret-of-at-least-thirty-two-bytes';
const key = new TextEncoder().encode(secret);
const token = (user) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime('1h').sign(key);

const { port: redisPort, process: redis } = startRedis();
const node = spawn(launch.command, launch.args, {
  cwd: launch.cwd,
  env: benchmarkEnv(redisPort, secret, { MAX_CONNECTIONS_PER_USER: '1000' }),
  stdio: ['ignore', 'pipe', 'pipe'],
});
const reports = createInterface({ input: node.stderr });
const port = await listeningPort(node);

async function memory() {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const report = new Promise((resolve) => {
    const onLine = (line) => {
      if (!line.startsWith('{"rss"')) return;
      reports.off('line', onLine);
      resolve(JSON.parse(line));
    };
    reports.on('line', onLine);
  });
  node.kill('SIGUSR2');
  return report;
}

const clients = [];
async function open(from, to) {
  for (let start = from; start < to; start += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, to - start) }, async (_, i) => {
        const user = `m${start + i}`;
        const client = createClient({
          url: `ws://127.0.0.1:${port}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${await token(user)}` },
          lazy: false,
          retryAttempts: 0,
        });
        clients.push(client);
        await new Promise((resolve, reject) => {
          client.subscribe({ query: 'subscription { messageReceived { id fromUserId body sentAt } }' }, { next: () => {}, error: reject, complete: resolve });
          client.on('connected', () => setTimeout(resolve, 50));
        });
      }),
    );
  }
}

await open(0, 50);
const before = await memory();
await open(50, 50 + count);
// Let every subscription settle (attach, tail read) before measuring.
await new Promise((resolve) => setTimeout(resolve, 3000));
const after = await memory();
const per = (field) => ((after[field] - before[field]) / count / 1024).toFixed(1);
console.log(
  `${values.system} (${launch.args.at(-1)}): ${count} subscribed sockets, after a forced GC: RSS ${per('rss')} KiB, heap ${per('heapUsed')} KiB ` +
    `per socket (heap reserved ${per('heapTotal')}, of it young generation ${per('newSpace')}; external ${per('external')}; ` +
    `baseline RSS ${(before.rss / 2 ** 20).toFixed(1)} MiB)`,
);
await Promise.all(clients.map((client) => client.dispose()));
node.kill('SIGTERM');
redis.kill('SIGTERM');
process.exit(0);
