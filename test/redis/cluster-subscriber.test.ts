import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../src/redis/keys.ts';
import type { ChannelSubscriber } from '../../src/redis/channel-subscriber.ts';
import { createClusterSubscriber } from '../../src/redis/cluster-subscriber.ts';
import { hashSlot } from '../../src/redis/hash-slot.ts';
import { connectRedis } from '../../src/redis/connect.ts';
import { createRedisConnection, serverOptions } from '../../src/redis/connection.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { startRedisCluster, type ClusterMember, type RedisCluster } from '../helpers/redis-cluster.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The cluster subscriber's contract with the hub, on a real 3-primary cluster: whenever live delivery
// may have a gap, it says `suspend` before anything can arrive on a re-made subscription, and `resync`
// (the back-fill, which ends the hold) only once every held channel is subscribed again. Without the
// hold, a message arriving on the new subscription moved a client's cursor past one published on the
// new primary before the node subscribed there, and the back-fill skipped it (seen in the resharding
// test under load).

let cluster: RedisCluster;
let connection: Cluster;
let subscriber: ChannelSubscriber;
const events: string[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ replicas: 0 });
  const options = { name: 'test-sub', commandTimeoutMs: 2000 };
  const nodes = cluster.members.map((member) => ({ host: '127.0.0.1', port: member.port }));
  connection = createRedisConnection({ kind: 'cluster', nodes }, options) as Cluster;
  await connectRedis(connection, { timeoutMs: 5000 });
  subscriber = createClusterSubscriber({
    cluster: connection,
    mode: 'sharded',
    server: serverOptions(options),
    logger: silentLogger,
    gaps: {
      resync: () => events.push('resync'),
      suspend: () => events.push('suspend'),
    },
  });
  await subscriber.start();
});

afterAll(async () => {
  await subscriber?.close();
  connection?.disconnect();
  await cluster?.stop();
});

const onMessage = (payload: unknown) => events.push(`message ${String(payload)}`);

const ownerOf = (channel: string): Promise<ClusterMember> => cluster.ownerOf(hashSlot(channel));

/** SPUBLISHes on the channel's current owner and waits until the subscriber reports it. */
async function roundTrip(channel: string, payload: number): Promise<void> {
  await (await ownerOf(channel)).client.call('SPUBLISH', channel, String(payload));
  await waitFor(`${payload} to arrive on ${channel}`, () => events.includes(`message ${payload}`));
}

/** The events since `from`, without messages. */
const signalsSince = (from: number) => events.slice(from).filter((event) => !event.startsWith('message'));

describe('cluster subscriber: holding live delivery across a gap', () => {
  const mover = channels.user('mover');
  let stayer = '';

  beforeAll(async () => {
    // A second channel on another primary.
    for (let n = 0; stayer === '' || (await ownerOf(stayer)) === (await ownerOf(mover)); n++) stayer = channels.user(`stayer-${n}`);
    await subscriber.subscribe(mover, onMessage);
    await subscriber.subscribe(stayer, onMessage);
    await roundTrip(mover, 1);
    await roundTrip(stayer, 2);
    expect(signalsSince(0)).toEqual([]);
  });

  it("moving a held channel's slot: suspend before the new primary's subscription, one resync once it is in effect", async () => {
    const from = events.length;
    const source = await ownerOf(mover);
    const target = cluster.members.find((member) => member !== source && member !== undefined) as ClusterMember;
    await cluster.moveSlot(hashSlot(mover), target);
    await waitFor('the back-fill after the move', () => signalsSince(from).includes('resync'));
    expect(signalsSince(from)).toEqual(['suspend', 'resync']);
    expect(subscriber.ready()).toBe(true);
    // Live again on the new primary, and on the primary that never moved.
    await roundTrip(mover, 3);
    await roundTrip(stayer, 4);
    // Once more after the handover settled (the old primary may have taken a last SPUBLISH).
    await waitFor('the back-fill after the handover', () => signalsSince(from).length > 2);
    expect(signalsSince(from)).toEqual(['suspend', 'resync', 'resync']);
  });

  it("a shard's pub/sub connection killed: suspend at once, resync once it has re-subscribed", async () => {
    const from = events.length;
    const owner = await ownerOf(stayer);
    await owner.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await waitFor('the suspension', () => signalsSince(from).includes('suspend'));
    await waitFor('the back-fill after the reconnect', () => signalsSince(from).includes('resync'));
    expect(signalsSince(from).slice(0, 2)).toEqual(['suspend', 'resync']);
    expect(subscriber.ready()).toBe(true);
    await roundTrip(stayer, 5);
    await roundTrip(mover, 6);
  });
});
