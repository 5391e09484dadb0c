import type { Bus } from '../bus/bus.ts';
import type { Message } from '../domain/message.ts';
import { SubscriptionQueue } from './subscription-queue.ts';

/**
 * The node's local dispatch: a map from user id to that user's live subscriptions on this node.
 * Delivering costs O(recipient's local sessions); a message for a user with none here is dropped
 * after one map lookup. The hub tells the bus which users it holds (attach on the first local
 * subscription, detach after the last) and keeps those calls ordered per user.
 */
export class Hub {
  readonly #sessions = new Map<string, Set<SubscriptionQueue<Message>>>();
  /** Users the bus is attached for (or being attached), as last requested. */
  readonly #attached = new Set<string>();
  /** Per user, the tail of the chain of attach/detach calls, so they never overtake each other. */
  readonly #syncing = new Map<string, Promise<void>>();
  readonly #bus: Bus;

  constructor(bus: Bus) {
    this.#bus = bus;
  }

  /** Users with at least one live subscription on this node. */
  get userCount(): number {
    return this.#sessions.size;
  }

  /** Live subscriptions on this node. */
  get subscriptionCount(): number {
    let count = 0;
    for (const queues of this.#sessions.values()) count += queues.size;
    return count;
  }

  /**
   * Starts a subscription to `userId`'s messages. Resolves once the bus delivers them here.
   * @throws {BusUnavailableError} when the bus could not attach; the subscription is then removed.
   */
  async subscribe(userId: string): Promise<AsyncIterableIterator<Message>> {
    const queue: SubscriptionQueue<Message> = new SubscriptionQueue(() => this.#remove(userId, queue));
    let queues = this.#sessions.get(userId);
    if (queues === undefined) {
      queues = new Set();
      this.#sessions.set(userId, queues);
    }
    queues.add(queue);
    try {
      await this.#sync(userId);
    } catch (error) {
      queue.end();
      throw error;
    }
    return queue;
  }

  /** Hands a message from the bus to every local subscription of its recipient. */
  deliver(message: Message): void {
    const queues = this.#sessions.get(message.toUserId);
    if (queues === undefined) return;
    for (const queue of queues) queue.push(message);
  }

  /** Ends every subscription (node shutdown); their transports see the iterators finish. */
  endAll(): void {
    for (const queues of [...this.#sessions.values()]) for (const queue of [...queues]) queue.end();
  }

  #remove(userId: string, queue: SubscriptionQueue<Message>): void {
    const queues = this.#sessions.get(userId);
    if (queues === undefined || !queues.delete(queue) || queues.size > 0) return;
    this.#sessions.delete(userId);
    // Detach failures are not the client's concern: Redis forgets a dead connection's channels.
    this.#sync(userId).catch(() => {});
  }

  // Brings the bus in line with whether the user has local subscriptions *when this call runs*;
  // calls are chained per user so a quick unsubscribe/resubscribe never detaches a live user.
  #sync(userId: string): Promise<void> {
    const previous = this.#syncing.get(userId) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(async () => {
        const wanted = this.#sessions.has(userId);
        if (wanted && !this.#attached.has(userId)) {
          await this.#bus.attach(userId);
          this.#attached.add(userId);
        } else if (!wanted && this.#attached.has(userId)) {
          this.#attached.delete(userId);
          await this.#bus.detach(userId);
        }
      });
    this.#syncing.set(userId, next);
    const settle = () => {
      if (this.#syncing.get(userId) === next) this.#syncing.delete(userId);
    };
    next.then(settle, settle);
    return next;
  }
}
