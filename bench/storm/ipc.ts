/** Messages between the storm orchestrator (`run.ts`) and its load processes (`worker.ts`). */

/** One user a load process holds. */
export interface UserSpec {
  readonly id: string;
  /** Index into `nodes` of the node the user connects to first. */
  readonly home: number;
  /** Users on a node that never goes away: their latency is the "bystander" figure. */
  readonly steady: boolean;
}

export interface InitCommand {
  readonly type: 'init';
  readonly worker: number;
  readonly secret: string;
  /** Node ports, by index. */
  readonly nodes: readonly number[];
  /** Indices of the nodes sends go to (round robin, the next one on a failure). */
  readonly sendNodes: readonly number[];
  readonly users: readonly UserSpec[];
  /** Source addresses (127.x.y.z) the sockets are spread over, past the ephemeral-port range of one address. */
  readonly localAddresses: readonly string[];
  /** A client that lost its node waits a random 0..jitterMs before it reconnects. */
  readonly jitterMs: number;
  /** Each reconnect signs a new token (as an app whose tokens are short-lived fetches one), instead of reusing the first. */
  readonly freshTokens: boolean;
  readonly seed: number;
}

export type Command =
  | InitCommand
  | { readonly type: 'connect'; readonly concurrency: number }
  | { readonly type: 'prime'; readonly timeoutMs: number }
  /** Starts the open-loop sender at `rate` msg/s from this process; `steadyShare` of them to steady users. */
  | { readonly type: 'send-start'; readonly rate: number; readonly steadyShare: number; /** Open the senders' whole pool first. */ readonly warmSenders: boolean }
  | { readonly type: 'send-stop' }
  | { readonly type: 'status' }
  | { readonly type: 'records' }
  | { readonly type: 'close' };

/** What became of one message: when it was first sent, how the send ended, when (and how often) it arrived. */
export interface SendRecord {
  readonly steady: boolean;
  /** Epoch ms of the first attempt. */
  readonly sentAt: number;
  /** 'ok' (the node returned the message), 'failed' (every retry failed), 'pending' (no answer yet). */
  readonly outcome: 'ok' | 'failed' | 'pending';
  /** Epoch ms the send ended (its answer, or its last failed attempt); NaN while pending. */
  readonly answeredAt: number;
  /** Epoch ms Redis stored the message (its stream id); NaN when it never arrived. */
  readonly storedAt: number;
  /** Attempts answered UNAVAILABLE (or not at all: network error, 503). */
  readonly retries: number;
  /** The answered attempt went out on a connection opened for it (careful-sender.ts). */
  readonly newConnection: boolean;
  /** Epoch ms of the first receipt; NaN when it never arrived. */
  readonly receivedAt: number;
  readonly receipts: number;
}

export interface Status {
  /** Users whose subscription is live (acknowledged, subscribe sent), per node index. */
  readonly liveOn: readonly number[];
  /** Users not connected right now (waiting, connecting, or before the ack). */
  readonly away: number;
  /** Per user that moved at least once: epoch ms of its last acknowledged reconnect. */
  readonly backAt: readonly number[];
  /** Connection closes 1013 (shed by admission control) the clients retried. */
  readonly sheds: number;
  /** Subscriptions that ended with an error (UNAVAILABLE) on an open socket and were made again. */
  readonly resubscribes: number;
  /** Connection attempts that failed otherwise (refused, HTTP 503, closed before the ack). */
  readonly connectFailures: number;
  /** Those failures by close code or HTTP status. */
  readonly failureReasons: Readonly<Record<string, number>>;
  /** Sent with a successful answer and not yet received. */
  readonly undelivered: number;
  /** Sends still waiting for an answer (or a retry). */
  readonly pending: number;
  readonly problems: readonly string[];
}

export type Reply =
  | { readonly type: 'ready' }
  | { readonly type: 'connected'; readonly failures: readonly string[] }
  | { readonly type: 'primed'; readonly missing: number }
  | { readonly type: 'ok' }
  | { readonly type: 'status'; readonly status: Status }
  | { readonly type: 'records'; readonly records: readonly SendRecord[]; readonly outOfOrder: number; readonly misrouted: number }
  | { readonly type: 'error'; readonly message: string };
