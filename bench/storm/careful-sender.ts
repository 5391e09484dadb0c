import { Agent, request } from 'node:http';
import { GRAPHQL_PATH } from '../lib/contract.ts';

const SEND = 'mutation($to:ID!,$body:String!,$key:ID){sendMessage(toUserId:$to,body:$body,clientMessageId:$key){id}}';
/** Attempts per send before it counts as failed (about 3 s of backoff in all). */
const ATTEMPTS = 6;
const FIRST_RETRY_MS = 100;
const REQUEST_TIMEOUT_MS = 30_000;
/** Keep-alive connections per node. */
const POOL_SIZE = 32;

/** How one send ended. */
export interface SendOutcome {
  readonly ok: boolean;
  /** Attempts that failed and were retried (UNAVAILABLE, a network error, HTTP 503). */
  readonly retries: number;
  /** Why the last attempt failed, when `ok` is false. */
  readonly why?: string;
  /**
   * Whether the answered attempt went out on a connection the pool opened for it (none was free): in
   * a storm such a connection waits in the node's accept queue behind the storm's (docs/SCALING.md).
   */
  readonly newConnection: boolean;
}

/**
 * Sends `sendMessage` like a careful app: with a `clientMessageId`, retrying with the same id on
 * UNAVAILABLE, a network error or HTTP 503 — on the next node of its list, after a jittered backoff
 * (100, 200, 400 … ms) — up to 6 attempts. Any other error is final. Never rejects.
 */
export class CarefulSender {
  readonly #agents = new Map<number, Agent>();
  #next = 0;

  constructor(
    readonly ports: readonly number[],
    readonly random: () => number,
  ) {}

  async send(token: string, to: string, body: string, key: string): Promise<SendOutcome> {
    const first = this.#next++;
    let why = '';
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_MS * 2 ** (attempt - 1) * (0.5 + this.random())));
      const port = this.ports[(first + attempt) % this.ports.length] as number;
      const { answer, newConnection } = await this.#post(port, token, JSON.stringify({ query: SEND, variables: { to, body, key } }));
      if (answer === 'ok') return { ok: true, retries: attempt, newConnection };
      if (!answer.retry) return { ok: false, retries: attempt, why: answer.why, newConnection };
      why = answer.why;
    }
    return { ok: false, retries: ATTEMPTS - 1, why, newConnection: false };
  }

  /**
   * Opens the whole pool to every node before sending, as an app server or a load balancer holds its
   * connections: a connection opened in the middle of a storm waits in the node's accept queues with
   * the storm's, and a dropped SYN costs 1, 3, 7 s (docs/SCALING.md).
   */
  async warm(token: string): Promise<void> {
    await Promise.all(this.ports.flatMap((port) => Array.from({ length: POOL_SIZE }, () => this.#post(port, token, JSON.stringify({ query: '{__typename}' })))));
  }

  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
  }

  #post(port: number, token: string, payload: string): Promise<{ answer: 'ok' | { retry: boolean; why: string }; newConnection: boolean }> {
    let agent = this.#agents.get(port);
    if (agent === undefined) {
      // `timeout` makes the agent drop idle sockets before the server's keep-alive timeout closes them.
      // 'fifo' hands out the pooled sockets in turn, so a warmed pool stays open (each is used well within
      // the server's keep-alive timeout) instead of shrinking to the one used last.
      agent = new Agent({ keepAlive: true, maxSockets: POOL_SIZE, timeout: REQUEST_TIMEOUT_MS, scheduling: 'fifo' });
      this.#agents.set(port, agent);
    }
    return new Promise((settle) => {
      let newConnection = false;
      const resolve = (answer: 'ok' | { retry: boolean; why: string }) => settle({ answer, newConnection });
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: GRAPHQL_PATH,
          method: 'POST',
          agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(judge(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (error) => resolve({ retry: true, why: `response error: ${error.message}` }));
        },
      );
      req.once('socket', () => {
        newConnection = !req.reusedSocket;
      });
      req.on('timeout', () => req.destroy(new Error(`no response in ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (error) => resolve({ retry: true, why: `network: ${error.message}` }));
      req.end(payload);
    });
  }
}

function judge(status: number, text: string): 'ok' | { retry: boolean; why: string } {
  let value: { data?: { sendMessage?: { id?: unknown } | null } | null; errors?: Array<{ extensions?: { code?: unknown } }> } | undefined;
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    value = undefined;
  }
  if (status === 200 && typeof value?.data?.sendMessage?.id === 'string') return 'ok';
  const code = value?.errors?.[0]?.extensions?.code;
  return { retry: code === 'UNAVAILABLE' || status === 503, why: `HTTP ${status} ${typeof code === 'string' ? code : text.slice(0, 120)}` };
}
