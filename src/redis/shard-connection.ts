import { Redis } from 'ioredis';
import type { ServerOptions } from './connection.ts';

/** The server answered a (S)SUBSCRIBE with MOVED: the slot map is out of date. */
export class MovedError extends Error {
  override readonly name = 'MovedError';
}

/** What a {@link ShardConnection} reports to the cluster subscriber. */
export interface ShardConnectionHooks {
  /** A payload published on one of its channels. */
  message(channel: string, payload: string): void;
  /** The connection is ready, the first time or again after a loss. */
  ready(): void;
  /** The connection closed; it reconnects on its own. */
  closed(): void;
  /** A subscribe was answered MOVED: re-read the slot map. */
  moved(): void;
  /**
   * Redis pushed an unsubscribe (its slot migrated away) that ioredis could not pair with a command
   * ("Command queue state error"). The connection has been told to reconnect, so its command/reply
   * pairing and its subscriptions are rebuilt rather than trusted.
   */
  pushed(): void;
}

/**
 * One subscriber connection to one Redis Cluster primary (`host:port`, as in the slot map) and the
 * held channels that primary serves. `sharded`: SSUBSCRIBE/SUNSUBSCRIBE; otherwise SUBSCRIBE.
 * It does not re-subscribe by itself after a reconnect: the cluster subscriber does, from its own
 * state, and only then back-fills.
 */
export class ShardConnection {
  readonly key: string;
  readonly channels = new Set<string>();
  /** Its subscriptions must be (re)made and history back-filled once it is ready: it lost its connection, or channels moved here. */
  stale = false;
  readonly #connection: Redis;
  readonly #sharded: boolean;
  readonly #timeoutMs: number;

  constructor(key: string, options: { server: ServerOptions; sharded: boolean; hooks: ShardConnectionHooks }) {
    const { hooks } = options;
    const separator = key.lastIndexOf(':');
    this.key = key;
    this.#sharded = options.sharded;
    this.#timeoutMs = options.server.commandTimeout ?? 2000;
    this.#connection = new Redis({
      ...options.server,
      host: key.slice(0, separator),
      port: Number(key.slice(separator + 1)),
      autoResubscribe: false,
    });
    this.#connection.on(this.#sharded ? 'smessage' : 'message', hooks.message);
    this.#connection.on('ready', hooks.ready);
    this.#connection.on('close', hooks.closed);
    this.#connection.on('moved', hooks.moved);
    this.#connection.on('error', (error: Error) => {
      if (!error.message.startsWith('Command queue state error')) return;
      this.#connection.disconnect(true);
      hooks.pushed();
    });
    this.#connection.connect().catch(() => {}); // it retries on its own; 'ready' reports success
  }

  /** The ioredis connection, for error and reconnect metrics. */
  get connection(): Redis {
    return this.#connection;
  }

  get ready(): boolean {
    return this.#connection.status === 'ready';
  }

  /** Resolves once the connection is ready. @throws after the command timeout. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#connection.off('ready', onReady);
        reject(new Error(`no connection to ${this.key} within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#connection.once('ready', onReady);
    });
  }

  /**
   * Resolves once `channel` is subscribed here.
   * @throws {MovedError} as soon as the server answers MOVED (ioredis never settles that command).
   */
  subscribe(channel: string): Promise<void> {
    const command = this.#sharded ? this.#connection.ssubscribe(channel) : this.#connection.subscribe(channel);
    return new Promise<void>((resolve, reject) => {
      const onMoved = () => reject(new MovedError(`${this.key} no longer serves the slot of ${channel}`));
      this.#connection.once('moved', onMoved);
      command.then(() => resolve(), reject).finally(() => this.#connection.off('moved', onMoved));
    });
  }

  /** Best effort: a closed connection has no subscriptions left anyway. */
  unsubscribe(channel: string): void {
    if (!this.ready) return;
    const done = this.#sharded ? this.#connection.sunsubscribe(channel) : this.#connection.unsubscribe(channel);
    done.catch(() => {});
  }

  /** Drops the connection at once, for good (its server left the cluster's slot map). */
  disconnect(): void {
    this.#connection.disconnect();
  }

  /** Closes for good, politely. */
  async close(): Promise<void> {
    await this.#connection.quit().catch(() => {});
    this.#connection.disconnect();
  }
}
