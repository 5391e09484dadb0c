/** Messages between the orchestrator and a load process (over the child_process IPC channel). */

/** One send phase. `window`: closed loop, at most `window` messages sent and not yet received. `rate`: open loop at a fixed rate. */
export type PhaseSpec =
  | {
      readonly tag: string;
      readonly mode: 'window';
      readonly messages: number;
      readonly window: number;
      readonly maxSeconds: number;
      readonly drainMs: number;
    }
  | {
      readonly tag: string;
      readonly mode: 'rate';
      /** Messages per second from this load process. */
      readonly rate: number;
      readonly seconds: number;
      /** Sent and not yet received above which sending pauses (and the lag shows it). */
      readonly maxInFlight: number;
      readonly drainMs: number;
    };

export interface InitCommand {
  readonly type: 'init';
  readonly worker: number;
  /** Global index of this process's first user, and how many it holds. User i is `u<i>` on node i % N. */
  readonly firstUser: number;
  readonly userCount: number;
  readonly ports: readonly number[];
  readonly secret: string;
  readonly seed: number;
  readonly bodyBytes: number;
  readonly connectConcurrency: number;
  /** Loopback source addresses the sockets spread over (0: the kernel picks 127.0.0.1). */
  readonly sourceAddresses: number;
}

export type Command =
  | InitCommand
  | { readonly type: 'connect' }
  | { readonly type: 'probe'; readonly sample: number; readonly timeoutMs: number }
  | { readonly type: 'phase'; readonly spec: PhaseSpec }
  | { readonly type: 'close' };

/** What one load process measured in one phase. Times are epoch milliseconds. */
export interface PhaseResult {
  readonly tag: string;
  readonly issued: number;
  /** Sends the server accepted (HTTP 200 with data). */
  readonly sent: number;
  readonly sendErrors: number;
  readonly firstSendError: string | undefined;
  /** Distinct messages received by their recipient. */
  readonly delivered: number;
  readonly duplicates: number;
  /** Received by a user other than the recipient, or not recognised. */
  readonly misrouted: number;
  readonly latenciesMs: number[];
  /** When each of those messages was sent (epoch ms), in the same order. */
  readonly sentAtMs: number[];
  readonly firstSendAt: number;
  readonly lastSendAt: number;
  readonly lastReceiptAt: number;
  /** Every issued message was received or failed before the drain timeout. */
  readonly drained: boolean;
  /** Rate mode: how far behind schedule a send went out, at worst. */
  readonly maxLagMs: number;
}

export type Reply =
  | { readonly type: 'ready' }
  | { readonly type: 'connected'; readonly ms: number; readonly failures: readonly string[] }
  | { readonly type: 'probed'; readonly ms: number; readonly probed: number; readonly missing: readonly string[] }
  | { readonly type: 'phase-done'; readonly result: PhaseResult; readonly problems: readonly string[] }
  | { readonly type: 'closed' }
  | { readonly type: 'error'; readonly message: string };
