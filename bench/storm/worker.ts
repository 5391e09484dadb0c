import { secretKey, signToken } from '../lib/jwt.ts';
import { seededRandom } from '../lib/prng.ts';
import { CarefulSender } from './careful-sender.ts';
import type { Command, InitCommand, Reply, SendRecord, Status } from './ipc.ts';
import { StormClient, type ClientEvents } from './storm-client.ts';

// A storm load process: holds its share of the users' sockets (spread over its source addresses),
// sends to its own users through the configured nodes (so send and receipt times come from one
// clock), and reports what became of every message. Driven over IPC by run.ts.

const now = () => performance.timeOrigin + performance.now();
const PRIME_CONCURRENCY = 32;

interface MutableRecord {
  recipient: number;
  steady: boolean;
  sentAt: number;
  outcome: SendRecord['outcome'];
  answeredAt: number;
  storedAt: number;
  retries: number;
  newConnection: boolean;
  receivedAt: number;
  receipts: number;
}

interface State {
  readonly init: InitCommand;
  readonly clients: StormClient[];
  readonly tokens: string[];
  /** Tokens the sender uses: the steady users' (an app server's sends come from a few identities). */
  readonly senderTokens: string[];
  readonly sender: CarefulSender;
  readonly records: MutableRecord[];
  readonly random: () => number;
  readonly problems: string[];
  /** Last id each client received, to check order. */
  readonly lastSeen: string[];
  sheds: number;
  resubscribes: number;
  connectFailures: number;
  readonly failureReasons: Record<string, number>;
  outOfOrder: number;
  misrouted: number;
  sending: NodeJS.Timeout | undefined;
}

let state: State | undefined;

async function initialise(init: InitCommand): Promise<State> {
  const key = secretKey(init.secret);
  const random = seededRandom(init.seed * 7919 + init.worker);
  const tokens = await Promise.all(init.users.map((user) => signToken(key, user.id)));
  const problems: string[] = [];
  const index = new Map<StormClient, number>();
  const s: State = {
    init,
    clients: [],
    tokens,
    senderTokens: tokens.filter((_, i) => init.users[i]?.steady === true),
    sender: new CarefulSender(
      init.sendNodes.map((node) => init.nodes[node] as number),
      random,
    ),
    records: [],
    random,
    problems,
    lastSeen: init.users.map(() => ''),
    sheds: 0,
    resubscribes: 0,
    connectFailures: 0,
    failureReasons: {},
    outOfOrder: 0,
    misrouted: 0,
    sending: undefined,
  };
  if (s.senderTokens.length === 0) s.senderTokens.push(...tokens.slice(0, 16));
  const problem = (description: string) => {
    if (problems.length < 50) problems.push(description);
  };
  const events: ClientEvents = {
    message(client, id, toUserId, body) {
      const local = index.get(client) ?? -1;
      if (toUserId !== client.user) s.misrouted += 1;
      const previous = s.lastSeen[local] ?? '';
      if (previous !== '' && compareIds(id, previous) <= 0) s.outOfOrder += 1;
      s.lastSeen[local] = id;
      if (!body.startsWith('m:')) return; // a priming message
      const record = s.records[Number(body.slice(2))];
      if (record === undefined) return problem(`${client.user}: unknown message ${body.slice(0, 40)}`);
      if (record.recipient !== local) s.misrouted += 1;
      record.receipts += 1;
      if (record.receipts === 1) {
        record.receivedAt = now();
        // A message id is its Redis stream id, `<ms>-<seq>`: when Redis stored it (same machine, same clock).
        record.storedAt = Number(id.split('-')[0]);
      }
    },
    back() {},
    resubscribe: () => void (s.resubscribes += 1),
    shed: () => void (s.sheds += 1),
    connectFailed(client, why) {
      s.connectFailures += 1;
      s.failureReasons[why] = (s.failureReasons[why] ?? 0) + 1;
      if (why.startsWith('HTTP') && !why.startsWith('HTTP 503')) problem(`${client.user}: connection refused with ${why}`);
    },
    problem,
  };
  // A cursor from before any send of the run: the first subscription catches up from history, so a
  // message sent right after the ack is never missed.
  const after = `${Date.now() - 1000}-0`;
  init.users.forEach((user, i) => {
    const client = new StormClient({
      user: user.id,
      token: tokens[i] as string,
      ...(init.freshTokens ? { renewToken: () => signToken(key, user.id) } : {}),
      ports: init.nodes,
      localAddress: init.localAddresses[i % init.localAddresses.length] as string,
      jitterMs: init.jitterMs,
      random,
      after,
      events,
    });
    index.set(client, i);
    s.clients.push(client);
  });
  return s;
}

function sendTo(s: State, recipient: number): void {
  const seq = s.records.length;
  const record: MutableRecord = {
    recipient,
    steady: s.init.users[recipient]?.steady === true,
    sentAt: now(),
    outcome: 'pending',
    answeredAt: Number.NaN,
    storedAt: Number.NaN,
    retries: 0,
    newConnection: false,
    receivedAt: Number.NaN,
    receipts: 0,
  };
  s.records.push(record);
  const token = s.senderTokens[Math.floor(s.random() * s.senderTokens.length)] as string;
  const to = s.init.users[recipient]?.id ?? 'nobody';
  void s.sender.send(token, to, `m:${seq}`, `w${s.init.worker}-${seq}`).then((outcome) => {
    record.outcome = outcome.ok ? 'ok' : 'failed';
    record.answeredAt = now();
    record.retries = outcome.retries;
    record.newConnection = outcome.newConnection;
    if (!outcome.ok && s.problems.length < 50) s.problems.push(`send ${seq} to ${to} failed: ${outcome.why ?? ''}`);
  });
}

/** Open loop: `rate` sends per second on a fixed schedule, until `send-stop`. */
function startSending(s: State, rate: number, steadyShare: number): void {
  const steady = s.init.users.flatMap((user, i) => (user.steady ? [i] : []));
  const moving = s.init.users.flatMap((user, i) => (user.steady ? [] : [i]));
  const pick = () => {
    const group = steady.length > 0 && (moving.length === 0 || s.random() < steadyShare) ? steady : moving;
    return group[Math.floor(s.random() * group.length)] as number;
  };
  const start = now();
  let issued = 0;
  const tick = () => {
    const due = Math.floor(((now() - start) * rate) / 1000);
    while (issued < due) {
      issued += 1;
      sendTo(s, pick());
    }
    s.sending = setTimeout(tick, 5);
  };
  tick();
}

/**
 * Gives every user a cursor: one message each, sent through the user's own node (so the node that
 * absorbs the storm does not also carry the set-up), then waits until each has received it.
 */
async function prime(s: State, timeoutMs: number): Promise<number> {
  let next = 0;
  const token = s.senderTokens[0] as string;
  const senders = s.init.nodes.map((port) => new CarefulSender([port], s.random));
  const lane = async () => {
    for (let i = next++; i < s.clients.length; i = next++) {
      const user = s.init.users[i];
      await senders[user?.home ?? 0]?.send(token, user?.id ?? '', `p:${i}`, `p${s.init.worker}-${i}`);
    }
  };
  await Promise.all(Array.from({ length: PRIME_CONCURRENCY }, lane));
  for (const sender of senders) sender.close();
  const deadline = Date.now() + timeoutMs;
  while (s.clients.some((client) => client.received === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return s.clients.filter((client) => client.received === 0).length;
}

function status(s: State): Status {
  const liveOn = s.init.nodes.map(() => 0);
  let away = 0;
  const backAt: number[] = [];
  for (const client of s.clients) {
    if (client.live) liveOn[client.node] = (liveOn[client.node] ?? 0) + 1;
    else away += 1;
    if (!Number.isNaN(client.backAt)) backAt.push(client.backAt);
  }
  const undelivered = s.records.filter((record) => record.outcome === 'ok' && record.receipts === 0).length;
  const pending = s.records.filter((record) => record.outcome === 'pending').length;
  return { liveOn, away, backAt, sheds: s.sheds, resubscribes: s.resubscribes, connectFailures: s.connectFailures, failureReasons: { ...s.failureReasons }, undelivered, pending, problems: [...s.problems] };
}

async function handle(command: Command): Promise<Reply> {
  if (command.type === 'init') {
    state = await initialise(command);
    return { type: 'ready' };
  }
  const s = state;
  if (s === undefined) throw new Error(`Cannot run '${command.type}': the load process has no 'init' yet`);
  switch (command.type) {
    case 'connect': {
      const failures: string[] = [];
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < s.clients.length; i = next++) await s.clients[i]?.start(s.init.users[i]?.home ?? 0);
      };
      await Promise.all(Array.from({ length: command.concurrency }, lane));
      return { type: 'connected', failures };
    }
    case 'prime':
      return { type: 'primed', missing: await prime(s, command.timeoutMs) };
    case 'send-start':
      if (command.warmSenders) await s.sender.warm(s.senderTokens[0] as string);
      startSending(s, command.rate, command.steadyShare);
      return { type: 'ok' };
    case 'send-stop':
      clearTimeout(s.sending);
      return { type: 'ok' };
    case 'status':
      return { type: 'status', status: status(s) };
    case 'records': {
      const records: SendRecord[] = s.records.map(({ recipient: _recipient, ...rest }) => rest);
      return { type: 'records', records, outOfOrder: s.outOfOrder, misrouted: s.misrouted };
    }
    case 'close':
      clearTimeout(s.sending);
      for (const client of s.clients) client.stop();
      s.sender.close();
      return { type: 'ok' };
  }
}

/** Orders message ids `<ms>-<seq>` as Redis stream ids are ordered. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}

process.on('message', (command: Command) => {
  handle(command).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
// run.ts closes the channel when the run ends: exit (a profiled process writes its profile on exit).
process.on('disconnect', () => process.exit(0));
