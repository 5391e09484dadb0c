import type { PresenceEvent, PresenceWatch } from './presence.ts';
import type { StoreEvent } from './presence-store.ts';

interface Known {
  readonly online: boolean;
  readonly at: number;
  readonly seq: number;
}

/**
 * One subscription's view of a fixed set of users. Per user it keeps the newest state by `seq`
 * (so a snapshot and the events racing it can arrive in any order) and what it last emitted; it
 * emits a user only when the two differ. The queue is therefore at most one entry per watched user:
 * a slow consumer gets the latest state, a flap it did not see yet cancels out.
 */
export class Watch implements PresenceWatch {
  readonly userIds: readonly string[];
  readonly #known = new Map<string, Known>();
  readonly #emitted = new Map<string, boolean>();
  /** Users whose known state differs from what was emitted, oldest change first. */
  readonly #dirty = new Set<string>();
  readonly #onEnd: () => void;
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(userIds: readonly string[], onEnd: () => void) {
    this.userIds = userIds;
    this.#onEnd = onEnd;
  }

  /** Takes a change (ignored when not newer than what is known about the user). */
  apply(event: StoreEvent): void {
    if (this.#ended) return;
    const known = this.#known.get(event.userId);
    if (known !== undefined && known.seq >= event.seq) return;
    this.#known.set(event.userId, { online: event.online, at: event.at, seq: event.seq });
    this.#dirty.delete(event.userId);
    if (this.#emitted.get(event.userId) !== event.online) this.#dirty.add(event.userId);
    this.#wake?.();
  }

  async next(): Promise<IteratorResult<PresenceEvent, undefined>> {
    for (;;) {
      if (this.#ended) return { done: true, value: undefined };
      const userId = this.#dirty.values().next().value;
      if (userId !== undefined) {
        this.#dirty.delete(userId);
        const { online, at } = this.#known.get(userId) as Known;
        this.#emitted.set(userId, online);
        return { done: false, value: { userId, online, at } };
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<PresenceEvent, undefined>> {
    this.end();
    return { done: true, value: undefined };
  }

  /** Ends the watch: the consumer's pending `next` finishes. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#onEnd();
    this.#wake?.();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The node's watches by watched user: dispatching a change costs O(watches of that user). */
export class WatchRegistry {
  readonly #byUser = new Map<string, Set<Watch>>();
  readonly #all = new Set<Watch>();

  /** Watches on this node. */
  get size(): number {
    return this.#all.size;
  }

  /** Users watched on this node. */
  users(): IterableIterator<string> {
    return this.#byUser.keys();
  }

  /** A new watch of `userIds`, registered until it ends. */
  add(userIds: readonly string[]): Watch {
    const watch: Watch = new Watch(userIds, () => {
      this.#all.delete(watch);
      for (const userId of userIds) {
        const watches = this.#byUser.get(userId);
        watches?.delete(watch);
        if (watches?.size === 0) this.#byUser.delete(userId);
      }
    });
    this.#all.add(watch);
    for (const userId of userIds) {
      let watches = this.#byUser.get(userId);
      if (watches === undefined) this.#byUser.set(userId, (watches = new Set()));
      watches.add(watch);
    }
    return watch;
  }

  dispatch(event: StoreEvent): void {
    for (const watch of this.#byUser.get(event.userId) ?? []) watch.apply(event);
  }

  /** Ends every watch (node shutdown). */
  endAll(): void {
    for (const watch of [...this.#all]) watch.end();
  }
}
