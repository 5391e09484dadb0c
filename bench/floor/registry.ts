import type { Redis } from 'ioredis';
import type { WebSocket } from 'ws';
import { userChannel } from '../lib/contract.ts';

// userChannel(id) is `sb:{u:<id>}:msg`: the id sits between these many leading and trailing characters.
const USER_PREFIX = userChannel('').indexOf('}');
const USER_SUFFIX = userChannel('').length - USER_PREFIX;

/** One live subscription: the socket and the frame prefix that carries its operation id. */
interface Subscription {
  readonly socket: WebSocket;
  readonly id: string;
  /** `{"id":"…","type":"next","payload":{"data":{"messageReceived":` — precomputed once. */
  readonly prefix: string;
}

/**
 * The floor's local dispatch: userId → live subscriptions, and one Redis channel per user,
 * subscribed on the user's first local subscription and unsubscribed after the last. ioredis keeps
 * SUBSCRIBE/UNSUBSCRIBE in order on its connection, so no further bookkeeping is needed.
 */
export class Registry {
  readonly #byUser = new Map<string, Set<Subscription>>();
  readonly #redis: Redis;
  /** Messages received from Redis (the bus-received counter). */
  busReceived = 0;

  constructor(subscriber: Redis) {
    this.#redis = subscriber;
    subscriber.on('message', (channel: string, payload: string) => this.#deliver(channel, payload));
  }

  /** Adds a subscription; resolves once Redis confirmed the user's channel. Returns the remover. */
  async add(userId: string, socket: WebSocket, id: string): Promise<() => void> {
    const subscription: Subscription = {
      socket,
      id,
      prefix: `{"id":${JSON.stringify(id)},"type":"next","payload":{"data":{"messageReceived":`,
    };
    let set = this.#byUser.get(userId);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#byUser.set(userId, set);
    }
    set.add(subscription);
    if (first) await this.#redis.subscribe(userChannel(userId));
    return () => this.#remove(userId, subscription);
  }

  #remove(userId: string, subscription: Subscription): void {
    const set = this.#byUser.get(userId);
    if (set === undefined || !set.delete(subscription) || set.size > 0) return;
    this.#byUser.delete(userId);
    this.#redis.unsubscribe(userChannel(userId)).catch(() => {});
  }

  #deliver(channel: string, payload: string): void {
    this.busReceived += 1;
    const set = this.#byUser.get(channel.slice(USER_PREFIX, -USER_SUFFIX));
    if (set === undefined) return;
    // The payload is the message JSON the floor itself published: splice it, no parse.
    for (const subscription of set) subscription.socket.send(`${subscription.prefix}${payload}}}}`);
  }
}
