import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { GRAPHQL_PATH, RECEIVE_SUBSCRIPTION, type WireMessage } from '../lib/contract.ts';

/** One benchmark user: a distinct identity with its own token and socket. */
export interface LoadUser {
  /** Index within this load process. */
  readonly local: number;
  readonly id: string;
  readonly node: number;
  readonly token: string;
  /** Loopback address its socket binds to (see source-address.ts); the kernel's choice when absent. */
  readonly localAddress: string | undefined;
}

export interface ClientEvents {
  /** A `messageReceived` payload for local user `local`. */
  message(local: number, message: WireMessage): void;
  /** Something that must not happen during a run (an error, a close, a completed subscription). */
  problem(description: string): void;
}

/** A `ws` WebSocket class whose sockets bind `localAddress` (graphql-ws constructs it with url and protocols only). */
type SocketClass = new (address: string, protocols?: string | string[]) => WebSocket;

function boundWebSocket(localAddress: string): SocketClass {
  return class BoundWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { localAddress });
    }
  };
}

/** The graphql-ws clients of one load process. */
export class ClientSet {
  readonly #clients: Client[] = [];
  /** Local indices in the order their connection was acknowledged. */
  readonly connectedOrder: number[] = [];
  readonly #socketClasses = new Map<string, SocketClass>();
  #closing = false;

  constructor(
    readonly ports: readonly number[],
    readonly events: ClientEvents,
  ) {}

  /**
   * Connects every user (at most `concurrency` handshakes at a time) and subscribes each to
   * `messageReceived`. Resolves with the users that could not connect.
   */
  async connectAll(users: readonly LoadUser[], concurrency: number): Promise<string[]> {
    const failures: string[] = [];
    let next = 0;
    const lane = async () => {
      for (let user = users[next++]; user !== undefined; user = users[next++]) {
        try {
          await this.#connect(user);
        } catch (error) {
          failures.push(`${user.id}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return failures;
  }

  #socketClass(localAddress: string | undefined): SocketClass {
    if (localAddress === undefined) return WebSocket;
    let socketClass = this.#socketClasses.get(localAddress);
    if (socketClass === undefined) {
      socketClass = boundWebSocket(localAddress);
      this.#socketClasses.set(localAddress, socketClass);
    }
    return socketClass;
  }

  #connect(user: LoadUser): Promise<void> {
    return new Promise((resolve, reject) => {
      let connected = false;
      const client = createClient({
        url: `ws://127.0.0.1:${this.ports[user.node]}${GRAPHQL_PATH}`,
        webSocketImpl: this.#socketClass(user.localAddress),
        connectionParams: { authorization: `Bearer ${user.token}` },
        lazy: true,
        retryAttempts: 0,
        keepAlive: 0,
        connectionAckWaitTimeout: 120_000,
        on: {
          connected: () => {
            connected = true;
            this.connectedOrder.push(user.local);
            resolve();
          },
          closed: (event) => {
            const code = (event as { code?: unknown }).code;
            if (!connected) reject(new Error(`closed before acknowledged: ${String(code)}`));
            else if (!this.#closing) this.events.problem(`${user.id}: socket closed (${String(code)})`);
          },
        },
      });
      this.#clients.push(client);
      client.subscribe<{ messageReceived?: WireMessage }>(
        { query: RECEIVE_SUBSCRIPTION },
        {
          next: (result) => {
            const message = result.data?.messageReceived;
            if (message !== undefined && typeof message.body === 'string') this.events.message(user.local, message);
            else this.events.problem(`${user.id}: unexpected result ${JSON.stringify(result).slice(0, 200)}`);
          },
          error: (error) => {
            if (!this.#closing) this.events.problem(`${user.id}: subscription error ${describe(error)}`);
          },
          complete: () => {
            if (!this.#closing) this.events.problem(`${user.id}: subscription completed`);
          },
        },
      );
    });
  }

  async closeAll(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#clients.map((client) => client.dispose()));
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return JSON.stringify(error).slice(0, 200);
  const code = (error as { code?: unknown } | null)?.code;
  return code === undefined ? String(error) : `close ${String(code)}`;
}
