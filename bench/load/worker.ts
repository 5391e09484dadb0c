import { secretKey, signToken } from '../lib/jwt.ts';
import type { Command, InitCommand, Reply } from '../lib/ipc.ts';
import { seededRandom } from '../lib/prng.ts';
import { decodeBody, encodeBody } from './body.ts';
import { ClientSet, type LoadUser } from './clients.ts';
import { HttpSender } from './http-sender.ts';
import { probeUsers } from './probe.ts';
import { runRate, runWindow, type SendOne } from './runners.ts';
import { sourceAddress } from './source-address.ts';
import { PhaseTracker } from './tracker.ts';

// A load process: holds its share of the users' sockets, sends messages to its own users (so send
// and receipt times come from one clock), and reports what it measured. Driven over IPC.

const SENDER_SOCKETS_PER_NODE = 64;
const toEpoch = (t: number) => (Number.isNaN(t) ? Number.NaN : performance.timeOrigin + t);

interface State {
  readonly init: InitCommand;
  readonly users: LoadUser[];
  readonly clients: ClientSet;
  readonly sender: HttpSender;
  readonly random: () => number;
  readonly trackers: Map<string, PhaseTracker>;
  readonly problems: string[];
  sends: number;
}

let state: State | undefined;

async function initialise(init: InitCommand): Promise<State> {
  const key = secretKey(init.secret);
  const users: LoadUser[] = [];
  for (let local = 0; local < init.userCount; local++) {
    const index = init.firstUser + local;
    const id = `u${index}`;
    users.push({
      local,
      id,
      node: index % init.ports.length,
      token: await signToken(key, id),
      localAddress: sourceAddress(index, init.sourceAddresses),
    });
  }
  const trackers = new Map<string, PhaseTracker>();
  const problems: string[] = [];
  const clients = new ClientSet(init.ports, {
    message(local, message) {
      const now = performance.now();
      const mark = decodeBody(message.body);
      const tracker = mark === undefined ? undefined : trackers.get(mark.tag);
      if (mark === undefined || tracker === undefined) return void problems.push(`unrecognised message to local user ${local}`);
      tracker.receive(mark.seq, message.toUserId === users[local]?.id ? local : -1, mark.sentAt, now);
    },
    problem(description) {
      if (problems.length < 100) problems.push(description);
    },
  });
  const sender = new HttpSender(init.ports, SENDER_SOCKETS_PER_NODE);
  return { init, users, clients, sender, random: seededRandom(init.seed * 7919 + init.worker), trackers, problems, sends: 0 };
}

/** Sends as a random user of this process (`random` picks it), round-robin over the nodes. */
const sendOne =
  (s: State, random: () => number): SendOne =>
  (tracker, recipient) => {
    const now = performance.now();
    const seq = tracker.issue(recipient, now);
    // Sends go round-robin over the nodes; recipients are on node (index % N), so most cross nodes.
    const node = s.sends++ % s.init.ports.length;
    const to = s.users[recipient]?.id ?? 'nobody';
    // The sender is another random user of this process, with its own token, as in real traffic.
    const from = s.users[Math.floor(random() * s.users.length)]?.token ?? '';
    void s.sender.send(node, from, to, encodeBody(tracker.tag, seq, now, s.init.bodyBytes)).then((error) => tracker.sendDone(seq, error));
  };

function newTracker(s: State, tag: string, capacity: number): PhaseTracker {
  const tracker = new PhaseTracker(tag, capacity);
  s.trackers.set(tag, tracker);
  return tracker;
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
      const start = performance.now();
      const failures = await s.clients.connectAll(s.users, s.init.connectConcurrency);
      return { type: 'connected', ms: performance.now() - start, failures: failures.slice(0, 20) };
    }
    case 'probe': {
      const start = performance.now();
      const { probed, missing } = await probeUsers({
        connectedOrder: s.clients.connectedOrder,
        sample: command.sample,
        timeoutMs: command.timeoutMs,
        random: s.random,
        newTracker: (tag, capacity) => newTracker(s, tag, capacity),
        send: sendOne(s, s.random),
      });
      const ids = missing.slice(0, 20).map((local) => s.users[local]?.id ?? String(local));
      return { type: 'probed', ms: performance.now() - start, probed, missing: ids };
    }
    case 'phase': {
      const { spec } = command;
      s.problems.length = 0;
      const count = s.users.length;
      // A fresh generator per phase: every system gets the same recipients and senders, whatever
      // the probes before it consumed.
      const random = seededRandom(s.init.seed * 7919 + s.init.worker * 104729 + spec.tag.charCodeAt(0));
      const recipientOf = () => Math.floor(random() * count);
      const capacity = spec.mode === 'window' ? spec.messages : Math.round(spec.rate * spec.seconds);
      const tracker = newTracker(s, spec.tag, capacity);
      const drained =
        spec.mode === 'window'
          ? await runWindow(tracker, spec, recipientOf, sendOne(s, random))
          : await runRate(tracker, spec, recipientOf, sendOne(s, random));
      return { type: 'phase-done', result: tracker.result(drained, toEpoch), problems: [...s.problems] };
    }
    case 'close': {
      await s.clients.closeAll();
      s.sender.close();
      return { type: 'closed' };
    }
  }
}

process.on('message', (command: Command) => {
  handle(command).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
