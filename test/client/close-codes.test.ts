import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { FeedStatus, SwitchboardClient } from '@switchboard/client';
import { waitFor } from '../helpers/wait-for.ts';
import { clientFor, recorder } from './support.ts';

/** What a scripted server does with its n-th connection after `connection_init`. */
type Script = (connection: number) => { close: [number, string] } | 'ack';

interface FakeNode {
  readonly url: string;
  /** One entry per connection: when it was opened and the token its connection_init carried. */
  readonly connections: Array<{ at: number; token: unknown }>;
  /** Closes every open socket with `code` (a drain: 1001). */
  closeAll(code: number, reason: string): void;
  close(): Promise<void>;
}

/** A graphql-transport-ws server that only handshakes: it acks or closes as `script` says. */
async function fakeNode(script: Script): Promise<FakeNode> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'graphql-transport-ws' });
  await new Promise((resolve) => server.once('listening', resolve));
  const connections: FakeNode['connections'] = [];
  server.on('connection', (socket) => {
    const index = connections.push({ at: Date.now(), token: undefined }) - 1;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; payload?: { authorization?: unknown } };
      if (frame.type === 'connection_init') {
        (connections[index] as { token: unknown }).token = frame.payload?.authorization;
        const action = script(index);
        if (action === 'ack') socket.send(JSON.stringify({ type: 'connection_ack' }));
        else socket.close(...action.close);
      }
      if (frame.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    connections,
    closeAll: (code, reason) => server.clients.forEach((socket) => socket.close(code, reason)),
    close: () =>
      new Promise((resolve) => {
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      }),
  };
}

describe('@switchboard/client answers each close code as SECURITY.md documents it', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });

  async function follow(urls: string[], options: Parameters<typeof clientFor>[1] | object = {}): Promise<{ statuses: FeedStatus[]; client: SwitchboardClient }> {
    const feed = recorder();
    const client = clientFor('ivy', { url: urls, backoff: { initialMs: 100, maxMs: 2_000 }, ...options });
    cleanup.push(() => client.dispose());
    client.messages(feed.callbacks);
    return { statuses: feed.statuses, client };
  }
  const closes = (statuses: FeedStatus[]) => statuses.filter((s) => s.state === 'connecting' && s.closeCode !== undefined);

  it('1013 "try again later": waits at least the retry hint in the reason before the next attempt', async () => {
    const node = await fakeNode((n) => (n === 0 ? { close: [1013, 'Try again later: retry in 1500 ms'] } : 'ack'));
    cleanup.push(() => node.close());
    const { statuses } = await follow([node.url]);
    await waitFor('the second connection', () => node.connections.length === 2 && statuses.some((s) => s.state === 'live'));
    const [first, second] = node.connections;
    expect(closes(statuses)[0]).toMatchObject({ closeCode: 1013 });
    expect(closes(statuses)[0]).toHaveProperty('retryInMs', expect.any(Number));
    expect((closes(statuses)[0] as { retryInMs: number }).retryInMs).toBeGreaterThanOrEqual(1500);
    expect((second?.at ?? 0) - (first?.at ?? Infinity)).toBeGreaterThanOrEqual(1500);
  });

  it('4403: fetches a fresh token and reconnects at once', async () => {
    const node = await fakeNode((n) => (n === 0 ? { close: [4403, 'Forbidden'] } : 'ack'));
    cleanup.push(() => node.close());
    let issued = 0;
    const { statuses } = await follow([node.url], { getToken: () => `token-${++issued}` });
    await waitFor('the second connection', () => statuses.some((s) => s.state === 'live'));
    expect(node.connections.map((c) => c.token)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(closes(statuses)[0]).toMatchObject({ closeCode: 4403, retryInMs: 0 });
  });

  it('4604 (an administrator disconnected the user): asks getToken for a new token and reconnects with it', async () => {
    const node = await fakeNode((n) => (n === 0 ? { close: [4604, 'Disconnected by an administrator'] } : 'ack'));
    cleanup.push(() => node.close());
    let issued = 0;
    const { statuses } = await follow([node.url], { getToken: () => `token-${++issued}` });
    await waitFor('live on the new token', () => statuses.some((s) => s.state === 'live'));
    expect(node.connections.map((c) => c.token)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('4604 with getToken answering the same token: never reconnects with it, stops with TOKEN_REVOKED', async () => {
    const node = await fakeNode(() => ({ close: [4604, 'Disconnected by an administrator'] }));
    cleanup.push(() => node.close());
    const feed = recorder();
    const client = clientFor('ivy', { url: [node.url], getToken: () => 'the-same-token', backoff: { initialMs: 50, maxMs: 200 } });
    cleanup.push(() => client.dispose());
    client.messages(feed.callbacks);
    await waitFor('the TOKEN_REVOKED error', () => feed.errors.length === 1);
    expect(feed.errors[0]).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect((feed.errors[0] as Error).message).toMatch(/^Cannot reconnect: the server disconnected this user \(close 4604: .*getToken\(\) returned the same token/u);
    const last = feed.statuses.at(-1);
    expect(last).toMatchObject({ state: 'connecting', closeCode: 4604 });
    expect(last).not.toHaveProperty('retryInMs');
    await new Promise((resolve) => setTimeout(resolve, 600)); // several backoff windows: nothing more may happen
    expect(node.connections).toHaveLength(1);
  });

  it('4602 (too many connections): does not hammer, waits at least half the maximum backoff', async () => {
    const node = await fakeNode((n) => (n === 0 ? { close: [4602, 'Too many connections'] } : 'ack'));
    cleanup.push(() => node.close());
    const { statuses } = await follow([node.url]);
    await waitFor('the close', () => closes(statuses).length === 1);
    expect((closes(statuses)[0] as { retryInMs: number }).retryInMs).toBeGreaterThanOrEqual(1_000);
    expect(node.connections).toHaveLength(1);
  });

  it('a url function is asked before each connection', async () => {
    const node = await fakeNode((n) => (n === 0 ? { close: [4500, 'Internal error'] } : 'ack'));
    cleanup.push(() => node.close());
    let asked = 0;
    const { statuses } = await follow([], { url: () => { asked += 1; return node.url; } });
    await waitFor('live after a retry', () => statuses.some((s) => s.state === 'live'));
    expect(asked).toBe(2);
    expect(closes(statuses)[0]).toMatchObject({ closeCode: 4500 });
  });

  it('1001 (a drain): reconnects to the next node of the list within the first backoff window', async () => {
    const draining = await fakeNode(() => 'ack');
    const other = await fakeNode(() => 'ack');
    cleanup.push(() => draining.close(), () => other.close());
    const { statuses } = await follow([draining.url, other.url]);
    await waitFor('live on the first node', () => statuses.some((s) => s.state === 'live'));
    draining.closeAll(1001, 'Server shutting down');
    await waitFor('the other node', () => other.connections.length === 1);
    expect(closes(statuses)[0]).toMatchObject({ closeCode: 1001 });
    expect((closes(statuses)[0] as { retryInMs: number }).retryInMs).toBeLessThan(100);
    expect(draining.connections).toHaveLength(1);
  });
});
