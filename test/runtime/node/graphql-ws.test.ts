import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { useGraphqlWs } from '../../../src/runtime/node/graphql-ws.ts';
import { createProtocol } from '../../../src/transport/ws/protocol-server.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const KEEP_ALIVE_MS = 240;
const disposers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
});

/** A ws server with the adapter (acknowledging every connection_init); returns its URL and what it saw. */
async function serve(): Promise<{ url: string; errors: unknown[]; closes: number[] }> {
  const server: Server = createServer();
  const sockets = new WebSocketServer({ server, handleProtocols });
  const errors: unknown[] = [];
  /** The close code of each counted socket, as `SocketGate.opened`'s object is told it. */
  const closes: number[] = [];
  const protocol = createProtocol<WebSocket, true>({
    initTimeoutMs: 3_000,
    connect: async () => ({ connection: true, ready: Promise.resolve() }),
    subscribe: async () => ({ data: null }),
    beforeNext() {},
    disconnected() {},
    closed() {},
    internalError: (error) => errors.push(error),
  });
  const graphqlWs = useGraphqlWs(protocol, sockets, {
    frameRefusal: (_data, isBinary) => (isBinary ? { code: 4400, reason: 'Binary frames are not accepted' } : undefined),
    internalError: (error) => errors.push(error),
    opened: () => ({ closed: (code) => void closes.push(code) }),
    keepAliveMs: KEEP_ALIVE_MS,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  disposers.push(async () => {
    await graphqlWs.dispose();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, errors, closes };
}

/** An acknowledged graphql-transport-ws client; `autoPong: false` plays a peer that stopped answering. */
async function connect(url: string, options: { autoPong: boolean }): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(url, GRAPHQL_TRANSPORT_WS_PROTOCOL, { autoPong: options.autoPong });
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.once('message', (data) => (JSON.parse(String(data)).type === 'connection_ack' ? resolve() : reject(new Error(String(data)))));
  });
  disposers.push(async () => void socket.terminate());
  return { socket, closed };
}

describe('graphql-ws on Node (runtime/node-graphql-ws.ts)', () => {
  it('terminates a socket that stops answering pings within two keep-alive periods, and keeps one that answers', async () => {
    const { url, errors, closes } = await serve();
    const silent = await connect(url, { autoPong: false });
    const live = await connect(url, { autoPong: true });
    let pings = 0;
    live.socket.on('ping', () => (pings += 1));
    // Visited once to ping, once more to cut it off (two periods of 240 ms; no time limit asserted).
    expect(await silent.closed).toBe(1006);
    await waitFor('two pings answered by the live socket', () => pings >= 2, { timeoutMs: 5_000 });
    expect(live.socket.readyState).toBe(WebSocket.OPEN);
    expect(errors).toEqual([]);
    await waitFor('the cut socket counted as closed', () => closes.length === 1);
    expect(closes).toEqual([1006]);
  });

  it('closes with the refusal of a refused frame, before the protocol server sees it', async () => {
    const { url, closes } = await serve();
    const client = await connect(url, { autoPong: true });
    client.socket.send(Buffer.from('{"type":"ping"}'), { binary: true });
    expect(await client.closed).toBe(4400);
    await waitFor('the close counted', () => closes.length === 1);
    expect(closes).toEqual([4400]);
  });
});
