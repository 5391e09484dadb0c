import { expect } from 'vitest';
import WebSocket from 'ws';
import { RECONNECT_MAX_MS } from '../../src/util/backoff.ts';
import { connect, post, SEND, subscribeReady } from './graphql-client.ts';
import { linesWith, runService, STACK_FRAME, type LogLine } from './service-run.ts';
import { report } from './stream-load.ts';
import { reserveForward, type TcpForward } from './tcp-forward.ts';
import { tokenFor } from './tokens.ts';
import { waitFor } from './wait-for.ts';

/** How long after Redis is up a waiting node must be ready: the backoff's cap, plus slack for a loaded 2-core machine. */
export const READY_BOUND_MS = RECONNECT_MAX_MS + 15_000;

/** `GET path` on the node at `port`: the status. */
export const statusOf = async (port: number, path: string): Promise<number> => (await fetch(`http://127.0.0.1:${port}${path}`)).status;

/** The HTTP status an upgrade to graphql-ws gets (101 when accepted). */
function upgradeStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** Sends 'hi' from `token`'s user to `to` through the node at `port`. */
export const sendAs = (port: number, token: string, to = 'bob') =>
  post<{ sendMessage: { id: string } }>(`http://127.0.0.1:${port}/graphql`, SEND, { to, body: 'hi' }, token);

/**
 * The whole "start before Redis" row, for any Redis mode: starts a node whose Redis address
 * (`env(forward)`, pointing at a forwarded port where nothing listens yet) is unreachable, checks it
 * serves /health 200, /ready 503, upgrades 503 and sends UNAVAILABLE with one waiting line, then
 * brings Redis up (`bringUp`, which returns the port the forward should reach) and checks that the
 * node becomes ready within {@link READY_BOUND_MS}, logs one `connected to Redis` line, delivers a
 * message, stops with 0, and printed no stack trace. `variable` names the Redis variable in the line.
 */
export async function startBeforeRedis(options: {
  readonly variable: string;
  readonly env: (forward: TcpForward) => Record<string, string>;
  readonly bringUp: () => Promise<number>;
  /** More checks while the node waits (before Redis is brought up). */
  readonly whileWaiting?: (port: number, logs: readonly LogLine[]) => Promise<void>;
}): Promise<{ readyMs: number }> {
  const forward = await reserveForward();
  const service = runService(options.env(forward));
  try {
    const port = await service.port();
    expect(service.logs.find((line) => line.msg === 'listening')?.['ready']).toBe(false);
    expect(await statusOf(port, '/health')).toBe(200);
    expect(await statusOf(port, '/ready')).toBe(503);
    expect(await upgradeStatus(port)).toBe(503);
    const alice = await tokenFor('alice');
    expect((await sendAs(port, alice)).errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
    expect(linesWith(service.logs, (msg) => msg.startsWith(`waiting for Redis (${options.variable}): `))).toHaveLength(1);
    await options.whileWaiting?.(port, service.logs);

    await forward.forwardTo({ port: await options.bringUp() });
    const up = Date.now();
    await waitFor('the node to be ready', async () => (await statusOf(port, '/ready')) === 200, { timeoutMs: READY_BOUND_MS });
    const readyMs = Date.now() - up;
    report(`start-before-redis-${options.variable.toLowerCase()}`, { readyMs, boundMs: READY_BOUND_MS });
    expect(linesWith(service.logs, (msg) => msg === 'connected to Redis')).toHaveLength(1);
    expect(linesWith(service.logs, (msg) => msg.startsWith('waiting for Redis'))).toHaveLength(1);
    expect(linesWith(service.logs, (msg) => msg === 'redis connection error')).toHaveLength(0);

    const client = connect(`ws://127.0.0.1:${port}/graphql`, await tokenFor('bob'));
    try {
      const inbox = await subscribeReady(client, { userId: 'bob', sendUrl: `http://127.0.0.1:${port}/graphql`, probeToken: await tokenFor('probe') });
      expect((await sendAs(port, alice)).errors).toBeUndefined();
      expect((await inbox.waitForCount(1))[0]?.body).toBe('hi');
    } finally {
      await client.dispose();
    }
    return { readyMs };
  } finally {
    expect(await service.stop()).toBe(0);
    await forward.close();
    expect(service.stderr).not.toMatch(STACK_FRAME);
  }
}
