import { parseArgs } from 'node:util';
import { installReaper } from '../lib/reaper.ts';
import { formatCpu, formatFigures } from './figures.ts';
import { killScenario, rollingScenario, type StormSettings } from './scenarios.ts';

// The reconnect storm (issue 13), through the public contract only: real node processes
// (dist/main.js), one private redis-server, load processes holding real graphql-ws sockets.
//
//   node bench/dist/storm/run.js [--scenario kill|rolling] [--users 8000] [--steady 1000] [--rate 300]
//        [--workers 4] [--jitter-ms 2000] [--tokens fresh|same] [--pause-ms 3000] [--env NAME=value …] [--profile <dir>] [--profile-load <dir>] [--load-nice 0] [--warm-senders] [--json]
//
// kill:    2 nodes; --users on a, --steady on b; --rate msg/s through b; SIGKILL a; every client
//          waits a random 0..jitter and resumes on b with `after` = its last id.
// rolling: 3 nodes; --users on n0 and n1, --steady on n2; sends round robin with failover; n0 then n1
//          drained with SIGTERM (1001) and restarted on the same port.
// --pause-ms: how long messages flow before the first storm, after the last, and after a restart.
// --load-nice: priority (nice, 0–19) of the load processes of the moving users. They share this
//   machine's cores with the nodes, and the kernel shares cores fairly between runnable processes, so
//   four busy ones take most of what the node would use; too low a priority (10 here) starves them
//   instead, so they answer the node late (graphql-ws closes 4408 after 3 s without connection_init).
// --warm-senders: the senders open their whole keep-alive pool (32 per node) before sending, as an app
//   server or a load balancer holds its connections; without it they open connections on demand.
// --profile: --cpu-prof of the node that absorbs the storm (kill: b); --profile-load: of every load process.
// Prints each storm's figures; --json also prints them as one `STORM {…}` line (for the CI smoke).

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'kill' },
    users: { type: 'string', default: '8000' },
    steady: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '300' },
    'steady-share': { type: 'string', default: '0.2' },
    workers: { type: 'string', default: '' },
    'jitter-ms': { type: 'string', default: '2000' },
    tokens: { type: 'string', default: 'fresh' },
    seed: { type: 'string', default: '13' },
    'pause-ms': { type: 'string', default: '3000' },
    env: { type: 'string', multiple: true, default: [] },
    profile: { type: 'string' },
    'profile-load': { type: 'string' },
    'load-nice': { type: 'string', default: '0' },
    'warm-senders': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

function count(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`Invalid --${name}: expected an integer of at least ${min}: current value '${raw}'`);
  return value;
}

function environment(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`Invalid --env: expected NAME=value: current value '${pair}'`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

const scenario = values.scenario;
if (scenario !== 'kill' && scenario !== 'rolling') throw new Error(`Invalid --scenario: expected kill or rolling: current value '${scenario}'`);
if (values.tokens !== 'fresh' && values.tokens !== 'same') throw new Error(`Invalid --tokens: expected fresh or same: current value '${values.tokens}'`);
const users = count('users', values.users, 1);
const steady = count('steady', values.steady, 1);
const share = Number(values['steady-share']);
if (!(share >= 0 && share <= 1)) throw new Error(`Invalid --steady-share: expected a number from 0 to 1: current value '${values['steady-share']}'`);
const settings: StormSettings = {
  users,
  steady,
  rate: count('rate', values.rate, 1),
  steadyShare: share,
  // About 4,000 moving sockets per load process (20,000 descriptors each here, and its CPU); the
  // steady users get one more of their own.
  workers: values.workers === '' ? Math.max(2, Math.ceil(users / 4000)) : count('workers', values.workers, 1),
  jitterMs: count('jitter-ms', values['jitter-ms'], 0),
  freshTokens: values.tokens === 'fresh',
  seed: count('seed', values.seed, 0),
  env: environment(values.env),
  profileDir: values.profile,
  loadProfileDir: values['profile-load'],
  loadNice: count('load-nice', values['load-nice'], 0),
  warmSenders: values['warm-senders'],
  pauseMs: count('pause-ms', values['pause-ms'], 0),
  log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
};

installReaper();
const started = Date.now();
const result = await (scenario === 'kill' ? killScenario(settings) : rollingScenario(settings));
process.stdout.write(
  `\nreconnect storm, scenario ${scenario}: ${users} moving users, ${steady} steady, ${settings.rate} msg/s, ` +
    `jitter 0-${settings.jitterMs} ms, ${settings.freshTokens ? 'a new token per reconnect' : 'the same token on every reconnect'}, ${settings.workers} load processes (+1 for the steady users), load at nice ${settings.loadNice}${settings.warmSenders ? ', warm senders' : ''}${Object.keys(settings.env).length > 0 ? `, node env ${JSON.stringify(settings.env)}` : ''}\n`,
);
for (const storm of result.storms) {
  process.stdout.write(`${formatFigures(storm.title, storm.figures)}\n`);
  process.stdout.write(`${formatCpu(storm.cpu, storm.figures.moved, storm.figures.allBackMs)}\n`);
  const perClient = Object.entries(storm.redisCommands)
    .filter(([name]) => name !== 'info')
    .sort((a, b) => b[1] - a[1])
    .map(([name, calls]) => `${name} ${calls} (${(calls / Math.max(1, storm.figures.moved)).toFixed(2)})`);
  process.stdout.write(`  Redis commands until all were back    ${perClient.join(', ')} (per moved client in brackets)\n`);
}
if (result.problems.length > 0) process.stdout.write(`problems seen by clients (first ${result.problems.length}):\n  ${result.problems.join('\n  ')}\n`);
process.stdout.write(`run took ${Math.round((Date.now() - started) / 1000)} s\n`);
if (values.json) process.stdout.write(`STORM ${JSON.stringify(result)}\n`);
process.exit(0);
