import { Agent, request } from 'node:http';
import { GRAPHQL_PATH, SEND_MUTATION } from '../lib/contract.ts';

// Generous: the card-literal stack at 20k users takes tens of seconds to answer; a slow answer is a
// figure, a timeout is a failure.
const TIMEOUT_MS = 90_000;

/**
 * Sends `sendMessage` over HTTP POST with keep-alive connections, each as the user whose token it is given.
 * Resolves `undefined` when the server accepted the message (200 with `data.sendMessage.id`), else
 * a short reason. Never rejects.
 */
export class HttpSender {
  readonly #agent: Agent;

  constructor(
    readonly ports: readonly number[],
    socketsPerNode: number,
  ) {
    // A `timeout` makes the agent honour the server's `Keep-Alive: timeout=5` hint (it drops idle
    // sockets a second before the server would): without it, a socket the server is closing gets
    // reused under load and the send fails with ECONNRESET.
    this.#agent = new Agent({ keepAlive: true, maxSockets: socketsPerNode, timeout: TIMEOUT_MS });
  }

  send(node: number, token: string, to: string, body: string): Promise<string | undefined> {
    const payload = JSON.stringify({ query: SEND_MUTATION, variables: { to, body } });
    return new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.ports[node],
          path: GRAPHQL_PATH,
          method: 'POST',
          agent: this.#agent,
          timeout: TIMEOUT_MS,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(accepted(res.statusCode, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (error) => resolve(`response error: ${error.message}`));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no response in ${TIMEOUT_MS} ms`)));
      req.on('error', (error) => resolve(`request error: ${error.message}`));
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function accepted(status: number | undefined, text: string): string | undefined {
  try {
    const value = JSON.parse(text) as { data?: { sendMessage?: { id?: unknown } } };
    if (status === 200 && typeof value.data?.sendMessage?.id === 'string') return undefined;
  } catch {
    // fall through
  }
  return `HTTP ${status}: ${text.slice(0, 200)}`;
}
