import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusUnavailableError, type Bus, type MessageDraft } from '../../src/bus/bus.ts';
import { createRedisBus } from '../../src/bus/redis-bus.ts';
import { onOwnLink, standaloneLink } from '../helpers/redis-link.ts';
import type { Message } from '../../src/domain/message.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

const draft = (toUserId: string, body: string): MessageDraft => ({ fromUserId: 'alice', toUserId, body, sentAt: '2026-11-24T00:00:00.000Z' });

describe('REDIS_WAIT_REPLICAS: a send is acknowledged and published only once a replica has it', () => {
  let primary: RedisProcess;
  let replica: RedisProcess;
  let bus: Bus;
  const delivered: Message[] = [];
  const follow = async () => {
    await replica.client.replicaof('127.0.0.1', String(primary.port));
    await waitFor('the replica to sync', async () => (await replica.client.info('replication')).includes('master_link_status:up'));
  };

  beforeAll(async () => {
    [primary, replica] = await Promise.all([startRedis(), startRedis()]);
    await follow();
    // Not shorter: on a busy CI machine (the benchmark smoke test beside it) a healthy first send
    // — script load, append, WAIT — has taken more than 500 ms.
    bus = onOwnLink(standaloneLink(primary.url, 2000), (link) => createRedisBus({
      link,
      routing: 'user',
      limits: { maxPerUser: 100, ttlMs: 60_000, idempotencyTtlMs: 60_000 },
      logger: silentLogger,
      commandTimeoutMs: 2000,
      waitReplicas: 1,
    }));
    await bus.start({ deliver: (message) => delivered.push(message), resync: () => {} });
  });
  afterAll(async () => {
    await bus?.close();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it('with no replica the send fails with UNAVAILABLE and goes out neither live nor twice; once a replica is back, the retry with its clientMessageId returns it and it is delivered once, before later sends', async () => {
    await bus.attach('bob');
    const first = await bus.send(draft('bob', 'replicated'));
    await waitFor('live delivery', () => delivered.length === 1);

    await replica.client.replicaof('NO', 'ONE');
    await waitFor('the primary to lose its replica', async () => (await primary.client.info('replication')).includes('connected_slaves:0'));
    const startedAt = Date.now();
    await expect(bus.send(draft('bob', 'not yet replicated'), 'key-1')).rejects.toBeInstanceOf(BusUnavailableError);
    // Fails within the send timeout (2 s), not after some longer retry: bounded, with room for a busy machine.
    expect(Date.now() - startedAt).toBeLessThan(6_000);
    // Stored (a reader of history sees it), but not published while unconfirmed.
    expect((await bus.read('bob', first.id, 10)).items.map((m) => m.body)).toEqual(['not yet replicated']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(delivered.map((m) => m.body)).toEqual(['replicated']);

    await follow();
    const retried = await bus.send(draft('bob', 'not yet replicated'), 'key-1');
    const later = await bus.send(draft('bob', 'later'));
    await waitFor('both to be delivered', () => delivered.length === 3);
    expect(delivered.map((m) => m.id)).toEqual([first.id, retried.id, later.id]);
    expect(delivered.map((m) => m.body)).toEqual(['replicated', 'not yet replicated', 'later']);
  });
});
