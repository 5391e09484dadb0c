import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { cpuMillis, totalCpuMillis } from '../lib/proc-stats.ts';
import { startRedis, type RedisServer } from '../lib/redis.ts';
import { machineBusyMs } from '../lib/system-cpu.ts';
import { stormFigures, type StormCpu, type StormFigures } from './figures.ts';
import type { SendRecord, Status, UserSpec } from './ipc.ts';
import { startNode, type StormNode } from './nodes.ts';
import { WorkerPool } from './pool.ts';

/** How a storm run is shaped (run.ts's options). */
export interface StormSettings {
  /** Users on the node(s) that go away (kill: all on A; rolling: spread over the three nodes). */
  readonly users: number;
  /** Users on a node that stays up all along (kill: on B; rolling: the users of n2 are these). */
  readonly steady: number;
  /** Messages per second, over all load processes. */
  readonly rate: number;
  /** Share of the messages sent to steady users. */
  readonly steadyShare: number;
  readonly workers: number;
  readonly jitterMs: number;
  /** Every reconnect carries a newly signed token (`--tokens fresh`, the default) or the first one again (`--tokens same`). */
  readonly freshTokens: boolean;
  readonly seed: number;
  /** Extra environment for every node (admission-control knobs, …). */
  readonly env: Readonly<Record<string, string>>;
  /** `--cpu-prof` output directory for the node that absorbs the storm (kill: B). */
  readonly profileDir: string | undefined;
  /**
   * Scheduling priority (nice) of the load processes that hold the moving users. On one machine the
   * kernel shares the cores fairly between runnable processes, so four busy load processes would
   * leave the node a fifth of them; real clients bring their own CPUs.
   */
  readonly loadNice: number;
  /** Senders open their whole connection pool before the first send (an app's warm pool, a load balancer's). */
  readonly warmSenders: boolean;
  /** `--cpu-prof` output directory for the load processes. */
  readonly loadProfileDir: string | undefined;
  /** Sending before the first storm and after the last, and after a restarted node is up, ms. */
  readonly pauseMs: number;
  readonly log: (line: string) => void;
}

/** One scenario's results: a figure set per storm, plus what went wrong in the harness. */
export interface ScenarioResult {
  readonly scenario: 'kill' | 'rolling';
  readonly storms: ReadonlyArray<{
    readonly title: string;
    readonly figures: StormFigures;
    /** Redis commands (INFO commandstats calls) from the kill or SIGTERM until every client was back. */
    readonly redisCommands: Readonly<Record<string, number>>;
    /** CPU time spent over the same window. */
    readonly cpu: StormCpu;
  }>;
  readonly problems: readonly string[];
}

const POLL_MS = 200;
const STORM_TIMEOUT_MS = 240_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

interface Rig {
  readonly redis: RedisServer;
  /** Calls per Redis command so far (INFO commandstats). */
  readonly commandStats: () => Promise<Record<string, number>>;
  readonly nodes: StormNode[];
  readonly pool: WorkerPool;
  readonly secret: string;
  /** CPU time used so far: per node (NaN once it is gone), by the load processes, by Redis, by the machine. */
  readonly cpuUsed: () => CpuUsed;
}

interface CpuUsed {
  readonly nodes: readonly number[];
  readonly load: number;
  readonly redis: number;
  readonly machine: number;
}

/** CPU time of a process so far, ms; NaN when it has gone. */
function cpuOf(pid: number): number {
  try {
    return cpuMillis(pid);
  } catch {
    return Number.NaN;
  }
}

/** CPU spent between two readings; `survivors` are the nodes that stayed up in between. */
function cpuSpent(before: CpuUsed, after: CpuUsed, survivors: readonly number[]): StormCpu {
  return {
    survivors: survivors.reduce((sum, node) => sum + ((after.nodes[node] ?? Number.NaN) - (before.nodes[node] ?? Number.NaN)), 0),
    load: after.load - before.load,
    redis: after.redis - before.redis,
    machine: after.machine - before.machine,
  };
}

/** 2 nodes; `users` on A, `steady` on B; messages through B; SIGKILL A; everyone resumes on B. */
export async function killScenario(settings: StormSettings): Promise<ScenarioResult> {
  const users: UserSpec[] = [
    ...Array.from({ length: settings.users }, (_, i) => ({ id: `u${i}`, home: 0, steady: false })),
    ...Array.from({ length: settings.steady }, (_, i) => ({ id: `s${i}`, home: 1, steady: true })),
  ];
  return withRig(settings, users, ['a', 'b'], [1], async (rig, status) => {
    const victim = rig.nodes[0] as StormNode;
    const before = await rig.commandStats();
    const cpuBefore = rig.cpuUsed();
    const killAt = now();
    process.kill(victim.child.pid, 'SIGKILL');
    await victim.child.exited;
    settings.log(`SIGKILLed node a; waiting for ${settings.users} clients to resume on b`);
    const backAt = await waitUntilBack(status, killAt, (s) => (s.liveOn[0] ?? 0) === 0 && s.away === 0, settings.log);
    const cpu = cpuSpent(cpuBefore, rig.cpuUsed(), [1]);
    const redisCommands = difference(await rig.commandStats(), before);
    return [{ title: `SIGKILL node a: ${settings.users} users resume on b`, window: { start: killAt, end: backAt }, moved: settings.users, redisCommands, cpu }];
  });
}

/** 3 nodes, users spread over them; n0 then n1 drained with SIGTERM (1001) and restarted, under load. */
export async function rollingScenario(settings: StormSettings): Promise<ScenarioResult> {
  const total = settings.users + settings.steady;
  // Users of n2 are the steady ones (n2 is never drained); the others start on n0 and n1.
  const users: UserSpec[] = Array.from({ length: total }, (_, i) =>
    i < settings.steady ? { id: `s${i}`, home: 2, steady: true } : { id: `u${i}`, home: i % 2, steady: false },
  );
  return withRig(settings, users, ['n0', 'n1', 'n2'], [0, 1, 2], async (rig, status) => {
    const storms: StormWindows = [];
    for (const victim of [0, 1]) {
      const node = rig.nodes[victim] as StormNode;
      const before = await status();
      const moved = before.liveOn[victim] ?? 0;
      const stats = await rig.commandStats();
      const cpuBefore = rig.cpuUsed();
      const drainAt = now();
      settings.log(`SIGTERM ${node.name} (${moved} clients get 1001)`);
      await node.child.stop(15_000);
      const backAt = await waitUntilBack(status, drainAt, (s) => (s.liveOn[victim] ?? 0) === 0 && s.away === 0, settings.log);
      const cpu = cpuSpent(cpuBefore, rig.cpuUsed(), [0, 1, 2].filter((other) => other !== victim));
      const redisCommands = difference(await rig.commandStats(), stats);
      storms.push({ title: `drain ${node.name}: ${moved} users move to the other nodes`, window: { start: drainAt, end: backAt }, moved, redisCommands, cpu });
      node.child = (await startNode(node.name, node.port, nodeSettings(settings, rig))).child;
      settings.log(`${node.name} restarted on port ${node.port}`);
      await sleep(settings.pauseMs);
    }
    return storms;
  });
}

type StormWindows = Array<{ title: string; window: { start: number; end: number }; moved: number; redisCommands: Record<string, number>; cpu: StormCpu }>;

async function withRig(
  settings: StormSettings,
  users: readonly UserSpec[],
  names: readonly string[],
  sendNodes: readonly number[],
  storm: (rig: Rig, status: () => Promise<Status>) => Promise<StormWindows>,
): Promise<ScenarioResult> {
  const secret = randomBytes(32).toString('hex');
  const redis = await startRedis();
  const nodes: StormNode[] = [];
  // One more load process than `workers`: the bystanders' (below), at the nodes' priority.
  const pool = new WorkerPool(settings.workers + 1, (w) => (w < settings.workers ? settings.loadNice : 0), settings.loadProfileDir);
  const stats = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  stats.on('error', () => {});
  const rig: Rig = {
    redis,
    nodes,
    pool,
    secret,
    commandStats: async () => parseCommandStats(await stats.info('commandstats')),
    cpuUsed: () => ({ nodes: nodes.map((node) => cpuOf(node.child.pid)), load: totalCpuMillis(pool.pids), redis: cpuOf(redis.child.pid), machine: machineBusyMs() }),
  };
  try {
    for (const [i, name] of names.entries()) {
      // The node that absorbs the storm is the last one in the kill scenario (b).
      const profiled = settings.profileDir !== undefined && names.length === 2 && i === 1;
      nodes.push(await startNode(name, 0, { ...nodeSettings(settings, rig), profileDir: profiled ? settings.profileDir : undefined }));
    }
    const ports = nodes.map((node) => node.port);
    // The steady users (the bystanders) live in a load process of their own, which also sends their
    // share of the messages: their latency is the node's, not that of a load process busy
    // reconnecting thousands of clients (real bystanders are on devices of their own).
    const shares = [...split(users.filter((user) => !user.steady), settings.workers), users.filter((user) => user.steady)];
    const bystanders = settings.workers;
    await pool.all(
      (w) => ({
        type: 'init',
        worker: w,
        secret,
        nodes: ports,
        sendNodes,
        users: shares[w] ?? [],
        // Several source addresses per process: each holds at most ~28,000 ephemeral ports.
        localAddresses: [1, 2, 3, 4].map((k) => `127.0.${10 + w}.${k}`),
        jitterMs: settings.jitterMs,
        freshTokens: settings.freshTokens,
        seed: settings.seed,
      }),
      'ready',
      120_000,
    );
    const started = now();
    settings.log(`connecting ${users.length} users (${settings.workers} load processes and one for the users on a surviving node)`);
    await pool.all(() => ({ type: 'connect', concurrency: 64 }), 'connected', 600_000);
    settings.log(`connected in ${Math.round(now() - started)} ms; giving every user a cursor`);
    const primed = await pool.all(() => ({ type: 'prime', timeoutMs: 180_000 }), 'primed', 600_000);
    const missing = primed.reduce((sum, reply) => sum + reply.missing, 0);
    if (missing > 0) throw new Error(`Cannot start the storm: ${missing} users did not receive their first message within 180 s`);
    settings.log(`every user holds a cursor; sending ${settings.rate} msg/s`);
    const status = () => mergeStatus(pool);
    await pool.all(
      (w) =>
        w === bystanders
          ? { type: 'send-start', rate: settings.rate * settings.steadyShare, steadyShare: 1, warmSenders: settings.warmSenders }
          : { type: 'send-start', rate: (settings.rate * (1 - settings.steadyShare)) / settings.workers, steadyShare: 0, warmSenders: settings.warmSenders },
      'ok',
      10_000,
    );
    await sleep(settings.pauseMs);
    const windows = await storm(rig, status);
    await sleep(settings.pauseMs);
    await pool.all(() => ({ type: 'send-stop' }), 'ok', 10_000);
    const drained = await waitFor(async () => {
      const s = await status();
      return s.undelivered === 0 && s.pending === 0;
    }, 60_000);
    const final = await status();
    if (!drained) settings.log(`not drained after 60 s: ${final.undelivered} undelivered, ${final.pending} sends pending`);
    const replies = await pool.all(() => ({ type: 'records' }), 'records', 60_000);
    const records: SendRecord[] = replies.flatMap((reply) => reply.records);
    const outOfOrder = replies.reduce((sum, reply) => sum + reply.outOfOrder, 0);
    const misrouted = replies.reduce((sum, reply) => sum + reply.misrouted, 0);
    return {
      scenario: names.length === 2 ? 'kill' : 'rolling',
      storms: windows.map(({ title, window, moved, redisCommands, cpu }) => ({
        title,
        redisCommands,
        cpu,
        figures: stormFigures(records, window, { moved, outOfOrder, misrouted, sheds: final.sheds, resubscribes: final.resubscribes, connectFailures: final.connectFailures, failureReasons: final.failureReasons }),
      })),
      problems: final.problems,
    };
  } catch (error) {
    // What the nodes said last is usually why.
    const tails = nodes.map((node) => `${node.name}:\n    ${node.child.tail.slice(-12).join('\n    ')}`);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nlast output of the nodes:\n  ${tails.join('\n  ')}`, { cause: error });
  } finally {
    await pool.all(() => ({ type: 'close' }), 'ok', 30_000).catch(() => []);
    await pool.close();
    // SIGTERM, so a profiled node writes its profile.
    await Promise.all(nodes.map((node) => node.child.stop(20_000)));
    stats.disconnect();
    await redis.stop();
  }
}

function nodeSettings(settings: StormSettings, rig: Rig) {
  return { redisUrl: rig.redis.url, secret: rig.secret, env: settings.env };
}

/** Polls until `done(status)`; resolves with the newest reconnect time after `since` (epoch ms). */
async function waitUntilBack(
  status: () => Promise<Status>,
  since: number,
  done: (status: Status) => boolean,
  log: (line: string) => void,
): Promise<number> {
  const deadline = now() + STORM_TIMEOUT_MS;
  let lastLog = now();
  for (;;) {
    const s = await status();
    if (done(s)) return Math.max(since, ...s.backAt.filter((at) => at >= since));
    if (now() > deadline) throw new Error(`Cannot finish the storm: clients not back after ${STORM_TIMEOUT_MS} ms: ${JSON.stringify({ ...s, backAt: s.backAt.length })}`);
    if (now() - lastLog > 2_000) {
      lastLog = now();
      log(`  ${Math.round((now() - since) / 100) / 10} s: live per node ${s.liveOn.join('/')}, away ${s.away}, shed ${s.sheds}`);
    }
    await sleep(POLL_MS);
  }
}

async function mergeStatus(pool: WorkerPool): Promise<Status> {
  const replies = await pool.all(() => ({ type: 'status' }), 'status', 30_000);
  const statuses = replies.map((reply) => reply.status);
  const first = statuses[0] as Status;
  return {
    liveOn: first.liveOn.map((_, node) => statuses.reduce((sum, s) => sum + (s.liveOn[node] ?? 0), 0)),
    away: statuses.reduce((sum, s) => sum + s.away, 0),
    backAt: statuses.flatMap((s) => s.backAt),
    sheds: statuses.reduce((sum, s) => sum + s.sheds, 0),
    resubscribes: statuses.reduce((sum, s) => sum + s.resubscribes, 0),
    connectFailures: statuses.reduce((sum, s) => sum + s.connectFailures, 0),
    failureReasons: statuses.reduce<Record<string, number>>((all, s) => {
      for (const [why, n] of Object.entries(s.failureReasons)) all[why] = (all[why] ?? 0) + n;
      return all;
    }, {}),
    undelivered: statuses.reduce((sum, s) => sum + s.undelivered, 0),
    pending: statuses.reduce((sum, s) => sum + s.pending, 0),
    problems: statuses.flatMap((s) => s.problems).slice(0, 50),
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    if (await check()) return true;
    await sleep(POLL_MS);
  }
  return false;
}

/** Deals `items` into `parts` shares, round robin. */
function split<T>(items: readonly T[], parts: number): T[][] {
  const shares: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => shares[i % parts]?.push(item));
  return shares;
}

/** `cmdstat_<name>:calls=<n>,…` lines of INFO commandstats as name → calls. */
function parseCommandStats(info: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gmu)) calls[match[1] as string] = Number(match[2]);
  return calls;
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) if (calls > (before[name] ?? 0)) delta[name] = calls - (before[name] ?? 0);
  return delta;
}
