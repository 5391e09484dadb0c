import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisUnavailableError } from '../../src/redis/faults.ts';
import { createServerSubscriber } from '../../src/redis/server-subscriber.ts';
import { silentLogger } from '../../src/util/logger.ts';

/** The part of an ioredis subscriber connection RedisPubSub and the server subscriber use, recording every command. */
class FakeConnection extends EventEmitter {
  readonly commands: string[][] = [];
  status = 'ready';
  /** Makes the next SUBSCRIBE fail as a busy Redis does. */
  failNext = false;

  subscribe(...channels: string[]): Promise<number> {
    this.commands.push(['subscribe', ...channels]);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('Command timed out'));
    }
    return Promise.resolve(channels.length);
  }

  unsubscribe(...channels: string[]): Promise<number> {
    this.commands.push(['unsubscribe', ...channels]);
    return Promise.resolve(0);
  }

  punsubscribe(...channels: string[]): Promise<number> {
    this.commands.push(['punsubscribe', ...channels]);
    return Promise.resolve(0);
  }
}

const ignore = () => {};

function subscriberOver(connection: FakeConnection) {
  const redis = connection as unknown as Redis;
  return createServerSubscriber({ connection: redis, publisher: redis, gaps: { suspend() {}, resync() {} }, logger: silentLogger });
}

describe('the server subscriber over RedisPubSub', () => {
  it('subscribes the channels asked for at once with one SUBSCRIBE', async () => {
    const connection = new FakeConnection();
    const subscriber = subscriberOver(connection);
    await Promise.all(['a', 'b', 'c'].map((channel) => subscriber.subscribe(channel, ignore)));
    expect(connection.commands).toEqual([['subscribe', 'a', 'b', 'c']]);
  });

  it('keeps unsubscribes and subscribes in the order asked, and sends no PUNSUBSCRIBE', async () => {
    const connection = new FakeConnection();
    const subscriber = subscriberOver(connection);
    await subscriber.subscribe('a', ignore);
    await subscriber.unsubscribe('a');
    await subscriber.subscribe('a', ignore);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(connection.commands).toEqual([['subscribe', 'a'], ['unsubscribe', 'a'], ['subscribe', 'a']]);
  });

  it('a SUBSCRIBE that times out rejects with RedisUnavailableError (no unhandled rejection), and the channel can be subscribed again', async () => {
    const connection = new FakeConnection();
    const subscriber = subscriberOver(connection);
    connection.failNext = true;
    const error = await subscriber.subscribe('a', ignore).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toBe('Cannot subscribe: Redis did not answer: Command timed out');
    await subscriber.subscribe('a', ignore);
    expect(connection.commands.filter(([command]) => command === 'subscribe')).toEqual([['subscribe', 'a'], ['subscribe', 'a']]);
  });
});
