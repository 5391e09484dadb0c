import { afterEach, describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.ts';
import type { NodeProcess } from '../helpers/node-process.ts';
import type { Attempt } from '../helpers/reliable-sender.ts';
import type { RedisOptions } from '../helpers/redis-server.ts';
import type { ResumingInbox } from '../helpers/resuming-inbox.ts';
import { connectUsers, expectExactlyOnceInOrder, report, streamMessages, usersNamed } from '../helpers/stream-load.ts';
import { tokenFor } from '../helpers/tokens.ts';

/**
 * FAULT_SCALE multiplies the message and user counts: CI runs 1; `npm run test:faults-large` runs 10
 * and the figures printed (messages, losses, duplicates, time to recover) go into the closing note.
 */
const SCALE = Number(process.env['FAULT_SCALE'] ?? '1');


/** Received vs sent per user: how many sent messages never arrived, and how many arrived twice. */
function tally(sent: readonly { id: string; toUserId: string }[], inboxes: ReadonlyMap<string, ResumingInbox>) {
  // Ids are per recipient, so a delivery is identified by recipient and id.
  const received = [...inboxes.values()].flatMap((inbox) => inbox.messages.map((m) => `${m.toUserId}/${m.id}`));
  const unique = new Set(received);
  return {
    sent: sent.length,
    received: received.length,
    lost: sent.filter((m) => !unique.has(`${m.toUserId}/${m.id}`)).length,
    duplicates: received.length - unique.size,
  };
}

/** Everything a fault test starts, torn down after each test whatever happened. */
const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).reverse().map((part) => part.stop()));
});

async function cluster(count: number, env: Record<string, string>, redisOptions: RedisOptions = {}) {
  const started = await startCluster(count, env, redisOptions);
  running.push(started);
  return started;
}


/** Registers every inbox for teardown after the test. */
function track(inboxes: Map<string, ResumingInbox>): Map<string, ResumingInbox> {
  running.push(...inboxes.values());
  return inboxes;
}

describe('failures become "reconnect and resume"', () => {
  it('SIGKILL one of two nodes while 2,000 messages stream to 50 users: every user gets every message once, in order', async () => {
    const { nodes } = await cluster(2, {});
    const [survivor, victim] = nodes as [NodeProcess, NodeProcess];
    const inboxes = track(connectUsers(usersNamed('kill', 50 * SCALE), nodes));
    const users = [...inboxes.keys()];
    let alive: readonly NodeProcess[] = nodes;
    let killedAt = 0;
    const startedAt = Date.now();
    const sent = await streamMessages({
      urls: () => alive.map((n) => n.url),
      token: await tokenFor('sender'),
      users,
      count: 2_000 * SCALE,
      concurrency: 8,
      onProgress: async (n) => {
        if (n === 600 * SCALE) {
          await victim.kill();
          killedAt = Date.now();
          alive = [survivor];
        }
      },
    });
    const sentAt = Date.now();
    await expectExactlyOnceInOrder(sent, inboxes).finally(() =>
      report('sigkill-node', { scale: SCALE, ...tally(sent, inboxes), sendMs: sentAt - startedAt, drainedMs: Date.now() - killedAt }),
    );
    const moved = users.filter((_, i) => i % 2 === 1).map((u) => inboxes.get(u)!.reconnects);
    expect(Math.min(...moved)).toBeGreaterThan(0); // the victim's clients did reconnect
  });

  it('restarting Redis (AOF, appendfsync always) mid-stream loses no acknowledged send; sends during the outage fail fast with UNAVAILABLE', async () => {
    const timeoutMs = 500;
    const { redis, nodes } = await cluster(2, { SEND_TIMEOUT_MS: String(timeoutMs) }, { aof: true });
    const inboxes = track(connectUsers(usersNamed('restart', 20 * SCALE), nodes));
    const attempts: Attempt[] = [];
    let outage: Promise<void> | undefined;
    let restartedAt = 0;
    let firstSendAfterRestart = 0;
    const sent = await streamMessages({
      urls: () => nodes.map((n) => n.url),
      token: await tokenFor('sender'),
      users: [...inboxes.keys()],
      count: 600 * SCALE,
      concurrency: 4,
      attempts,
      onProgress: (n) => {
        if (restartedAt > 0 && firstSendAfterRestart === 0) firstSendAfterRestart = Date.now();
        if (n === 200 * SCALE) {
          outage = (async () => {
            await redis.kill();
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            await redis.restart();
            restartedAt = Date.now();
          })();
        }
      },
    });
    await outage;
    await expectExactlyOnceInOrder(sent, inboxes).finally(() =>
      report('redis-restart', {
        scale: SCALE,
        ...tally(sent, inboxes),
        unavailableAnswers: attempts.filter((a) => a.outcome === 'unavailable').length,
        slowestFailureMs: Math.max(0, ...attempts.filter((a) => a.outcome !== 'ok').map((a) => a.ms)),
        firstSendAfterRestartMs: firstSendAfterRestart - restartedAt,
      }),
    );
    const failed = attempts.filter((a) => a.outcome !== 'ok');
    expect(failed.length).toBeGreaterThan(0); // the outage was real
    expect(failed.every((a) => a.outcome === 'unavailable')).toBe(true);
    expect(Math.max(...failed.map((a) => a.ms))).toBeLessThan(timeoutMs + 1_500);
  });

  it('killing only the pub/sub connection mid-stream: the node back-fills and clients see no gap without reconnecting', async () => {
    const { redis, nodes } = await cluster(2, {});
    const inboxes = track(connectUsers(usersNamed('pubsub', 10), nodes));
    const sent = await streamMessages({
      urls: () => nodes.map((n) => n.url),
      token: await tokenFor('sender'),
      users: [...inboxes.keys()],
      count: 500,
      concurrency: 4,
      onProgress: async (n) => {
        if (n === 150) await redis.client.client('KILL', 'TYPE', 'PUBSUB');
      },
    });
    await expectExactlyOnceInOrder(sent, inboxes);
    expect([...inboxes.values()].map((inbox) => inbox.reconnects)).toEqual(Array(10).fill(0));
    // The bus's subscriber of each node (presence's event subscription was killed too and logs the same).
    const backfills = nodes
      .flatMap((n) => n.logs)
      .filter((line) => line['component'] !== 'presence' && String(line['msg']).startsWith('redis pub/sub connection restored'));
    expect(backfills.length).toBe(2);
  });
});
