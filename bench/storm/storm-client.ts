import WebSocket from 'ws';
import { GRAPHQL_PATH } from '../lib/contract.ts';
import { nextStep, type BackoffOptions } from '@switchboard/client';

const RESUME = 'subscription($after:ID){messageReceived(after:$after){id toUserId body}}';
/** The subscription's operation id: one per socket. */
const OPERATION = '1';
/** WebSocket close 1013: the node sheds load ("try again later"). */
const TRY_AGAIN_LATER = 1013;

/** What a client reports to its load process. */
export interface ClientEvents {
  message(client: StormClient, id: string, toUserId: string, body: string): void;
  /** The client's subscription is live again on `node` after it lost its previous one. */
  back(client: StormClient, node: number): void;
  /** The node shed the connection (1013); the client retries after the hint. */
  shed(client: StormClient): void;
  /** A connection attempt failed otherwise (refused, HTTP 503, closed before the ack). */
  connectFailed(client: StormClient, why: string): void;
  /** The subscription ended with an error (e.g. `UNAVAILABLE`: the node could not attach it in time); the client subscribes again. */
  resubscribe(client: StormClient, why: string): void;
  /** Something a careful client must never see (an error result, a completed subscription, 4403 …). */
  problem(description: string): void;
}

export interface StormClientOptions {
  readonly user: string;
  /** The token of the first connection (and of every one, without `renewToken`). */
  readonly token: string;
  /** Signs a new token for each reconnect, as a client whose app hands it short-lived tokens. */
  readonly renewToken?: () => Promise<string>;
  /** Node ports, by index. */
  readonly ports: readonly number[];
  readonly localAddress: string;
  /** After losing its node, a client waits a random 0..jitterMs before reconnecting. */
  readonly jitterMs: number;
  readonly random: () => number;
  /** The cursor the first subscription starts after (a message id; before every send of the run). */
  readonly after: string;
  readonly events: ClientEvents;
}

/**
 * One user's graphql-ws session, spoken at the protocol level (graphql-transport-ws over `ws`, so the
 * socket can be bound to a source address): `connection_init` with the token, then one
 * `messageReceived(after: <last id>)` subscription. After a close it does what @switchboard/client
 * does (the client's own `nextStep` policy): when its node goes away (1006 after a kill, 1001 on a
 * drain) it waits a random 0..jitterMs and reconnects to another node with its last id; when a node
 * sheds it (1013) it waits at least the node's hint; a refused connection backs off exponentially
 * with full jitter. It never gives up until `stop`.
 */
export class StormClient {
  readonly user: string;
  /** Id of the last message received (the resume cursor). */
  lastId: string;
  /** Node index of the current (or next) connection. */
  node = -1;
  /** True between `connection_ack` and the socket's close. */
  live = false;
  /** Epoch ms of the last acknowledged reconnect after a loss; NaN before the first loss. */
  backAt = Number.NaN;
  received = 0;
  #socket: WebSocket | undefined;
  #moved = false;
  #failures = 0;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #onLive: (() => void) | undefined;
  /** The errors of a result that ended the subscription, until its `complete` arrives. */
  #failedWith: string | undefined;
  readonly #options: StormClientOptions;
  /** @switchboard/client's backoff, starting at jitterMs (its `initialMs`), up to 5 s. */
  readonly #backoff: Required<BackoffOptions>;

  constructor(options: StormClientOptions) {
    this.#options = options;
    this.#backoff = { initialMs: Math.max(1, options.jitterMs), maxMs: Math.max(5_000, options.jitterMs), random: options.random };
    this.user = options.user;
    this.lastId = options.after;
  }

  /** Connects to `node` and resolves once the connection is acknowledged and the subscription sent. */
  start(node: number): Promise<void> {
    return new Promise((resolve) => {
      this.#onLive = resolve;
      this.#connect(node, this.#options.token);
    });
  }

  /** Closes for good; no reconnect follows. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.close(1000, 'done');
  }

  /** Connects again after a close, with a new token when the client renews them (a failed signing is a problem). */
  async #reconnect(node: number): Promise<void> {
    const renew = this.#options.renewToken;
    let token = this.#options.token;
    if (renew !== undefined) {
      try {
        token = await renew();
      } catch (error) {
        this.#options.events.problem(`${this.user}: cannot sign a new token: ${String(error)}`);
      }
    }
    this.#connect(node, token);
  }

  #connect(node: number, token: string): void {
    if (this.#stopped) return;
    this.node = node;
    const { ports, localAddress } = this.#options;
    const socket = new WebSocket(`ws://127.0.0.1:${ports[node]}${GRAPHQL_PATH}`, 'graphql-transport-ws', {
      localAddress,
      perMessageDeflate: false,
      handshakeTimeout: 60_000,
    });
    this.#socket = socket;
    let acked = false;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data: Buffer) => {
      const frame = parse(data.toString('utf8'));
      if (frame?.type === 'connection_ack') {
        acked = true;
        this.live = true;
        this.#failures = 0;
        this.#subscribe(socket);
        if (this.#moved) {
          this.backAt = Date.now();
          this.#options.events.back(this, node);
        }
        this.#onLive?.();
        this.#onLive = undefined;
      } else if (frame?.type === 'next') {
        const result = frame.payload as { data?: { messageReceived?: { id?: unknown; toUserId?: unknown; body?: unknown } }; errors?: unknown };
        const message = result.data?.messageReceived;
        if (typeof message?.id === 'string' && typeof message.body === 'string' && typeof message.toUserId === 'string') {
          this.lastId = message.id;
          this.received += 1;
          this.#options.events.message(this, message.id, message.toUserId, message.body);
        } else {
          // An error result ends the subscription (graphql-ws sends `complete` next): subscribe again below.
          this.#failedWith = JSON.stringify(result.errors ?? result).slice(0, 200);
        }
      } else if (frame?.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (frame?.type === 'error' || frame?.type === 'complete') {
        // The subscription ended while the socket stays open: a careful client subscribes again,
        // after a jittered pause, with its last id. Only an `UNAVAILABLE` (retry later) is expected.
        const why = frame.type === 'error' ? JSON.stringify(frame.payload ?? null).slice(0, 200) : (this.#failedWith ?? 'complete without an error');
        this.#failedWith = undefined;
        if (!why.includes('UNAVAILABLE')) this.#options.events.problem(`${this.user}: subscription ended: ${why}`);
        this.#options.events.resubscribe(this, why);
        this.#timer = setTimeout(() => {
          if (socket.readyState === WebSocket.OPEN) this.#subscribe(socket);
        }, 250 + Math.round(this.#options.random() * 1000));
      }
    });
    // 'error' (refused, HTTP 503, reset) is always followed by 'close'.
    socket.on('error', () => {});
    socket.on('unexpected-response', (_request, response) => {
      this.#options.events.connectFailed(this, `HTTP ${response.statusCode}`);
      socket.terminate();
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.live = false;
      if (this.#stopped) return;
      const outcome = { code, reason: reason.toString('utf8') };
      if (code === 4403 || code === 4400 || code === 4500) this.#options.events.problem(`${this.user}: closed ${code} ${outcome.reason}`);
      if (code === TRY_AGAIN_LATER) this.#options.events.shed(this);
      else if (!acked && code !== 1005) this.#options.events.connectFailed(this, `close ${code}`);
      if (acked) this.#moved = true;
      // What @switchboard/client does after this close (its own policy, SECURITY.md's close codes):
      // a live connection's loss waits 0..jitterMs (attempt 0), failed attempts back off from there.
      const step = nextStep(outcome, this.#failures, 0, this.#backoff);
      if (!acked) this.#failures += 1;
      const next = step.nextUrl ? this.#otherNode(node) : node;
      this.#timer = setTimeout(() => void this.#reconnect(next), step.delayMs);
    });
  }

  #subscribe(socket: WebSocket): void {
    socket.send(JSON.stringify({ id: OPERATION, type: 'subscribe', payload: { query: RESUME, variables: { after: this.lastId } } }));
  }

  /** A random node other than `lost` (the only one when there are two). */
  #otherNode(lost: number): number {
    const count = this.#options.ports.length;
    if (count === 1) return lost;
    const pick = Math.floor(this.#options.random() * (count - 1));
    return pick >= lost ? pick + 1 : pick;
  }
}

function parse(text: string): { type?: unknown; payload?: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as { type?: unknown; payload?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}
