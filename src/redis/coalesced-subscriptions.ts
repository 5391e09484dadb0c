import type { Redis } from 'ioredis';
import { createBatcher } from '../util/batcher.ts';

type Operation = readonly ['subscribe' | 'unsubscribe', string];

/**
 * The subscriber connection as graphql-redis-subscriptions' RedisPubSub sees it, with its SUBSCRIBE
 * and UNSUBSCRIBE calls coalesced: RedisPubSub sends one command per channel, so a reconnect storm of
 * N users costs N round trips on the subscriber connection; through this view, the channels asked for
 * while a command is in flight go out together as one `SUBSCRIBE a b c …` (see {@link createBatcher}).
 * Subscribes and unsubscribes share one queue and leave in the order they were asked for, so a quick
 * unsubscribe/resubscribe of a channel can never be reordered into "unsubscribed". RedisPubSub's
 * `punsubscribe` after every unsubscribe is dropped: nothing here PSUBSCRIBEs.
 *
 * A failed SUBSCRIBE is reported to RedisPubSub as a success and kept for {@link CoalescedSubscriptions.takeFailure}:
 * RedisPubSub rejects a promise of its own that nobody handles when a SUBSCRIBE fails (its "pending"
 * deferred), and an unhandled rejection ends the process — a storm's SUBSCRIBE timing out under load
 * killed the node. The caller asks for the failure right after RedisPubSub's subscribe resolves.
 */
export function coalesceSubscriptions(connection: Redis): CoalescedSubscriptions {
  const failures = new Map<string, unknown>();
  const send = createBatcher<Operation, number>(async (operations) => {
    // Consecutive operations of one kind make one command; commands leave in order on one connection.
    const commands: Array<Promise<unknown>> = [];
    for (let start = 0; start < operations.length; ) {
      const kind = operations[start]?.[0];
      let end = start;
      while (end < operations.length && operations[end]?.[0] === kind) end += 1;
      const channels = operations.slice(start, end).map(([, channel]) => channel);
      commands.push(kind === 'subscribe' ? connection.subscribe(...channels) : connection.unsubscribe(...channels));
      start = end;
    }
    await Promise.all(commands);
    return operations.map(() => 0);
  });
  const subscribe = (channel: string, callback?: (error: Error | null | undefined, count?: unknown) => void) =>
    send(['subscribe', channel]).then(
      (count) => {
        failures.delete(channel);
        callback?.(null, count);
        return count;
      },
      (error: unknown) => {
        failures.set(channel, error);
        callback?.(null, 0);
        return 0;
      },
    );
  // RedisPubSub does not wait for an unsubscribe; a failed one is moot (Redis drops a closed connection's channels).
  const unsubscribe = (channel: string) => send(['unsubscribe', channel]).catch(() => 0);
  const subscriber = new Proxy(connection, {
    get(target, property) {
      if (property === 'subscribe') return subscribe;
      if (property === 'unsubscribe') return unsubscribe;
      if (property === 'punsubscribe') return () => Promise.resolve(0);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    subscriber,
    takeFailure(channel) {
      const error = failures.get(channel);
      failures.delete(channel);
      return error;
    },
  };
}

/** What {@link coalesceSubscriptions} gives its caller. */
export interface CoalescedSubscriptions {
  /** The connection to hand RedisPubSub as its `subscriber`. */
  readonly subscriber: Redis;
  /** Why the last SUBSCRIBE of `channel` failed (then forgotten), or `undefined` when it succeeded. */
  takeFailure(channel: string): unknown;
}
