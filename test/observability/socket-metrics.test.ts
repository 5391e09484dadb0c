import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MESSAGES } from '../helpers/graphql-client.ts';
import { metricsText, sampleOf } from '../helpers/metrics.ts';
import { startNode, type NodeProcess, type Runtime } from '../helpers/node-process.ts';
import { readSse } from '../helpers/sse.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Connection metrics from real sockets, on both runtime hosts (each reports a socket's close code
// its own way): closes by code, refused connections by reason, the SSE stream gauge.

/** A raw graphql-transport-ws socket; `init` sends connection_init, `closed` resolves with the close code. */
function socket(url: string) {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const acked = new Promise<void>((resolve) => ws.on('message', (data) => String(data).includes('connection_ack') && resolve()));
  return {
    opened,
    closed,
    acked,
    init: async (payload: unknown) => {
      await opened;
      ws.send(JSON.stringify({ type: 'connection_init', payload }));
    },
    close: () => ws.close(1000),
  };
}

describe.each<Runtime>(['node', 'deno'])('connection metrics on %s', (runtime) => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({ ADMISSION_MAX_HANDSHAKES: '1', MAX_CONNECTIONS_PER_USER: '1' }, { runtime });
  });
  afterAll(() => node?.stop());

  const metric = async (name: string, labels: Record<string, string> = {}) => sampleOf(await metricsText(node.url), name, labels);

  it('count WebSocket closes by code and refused connections by reason', async () => {
    // One handshake in flight fills ADMISSION_MAX_HANDSHAKES=1: the next socket is shed with 1013.
    const pending = socket(node.wsUrl);
    await pending.opened;
    const shed = socket(node.wsUrl);
    expect(await shed.closed).toBe(1013);
    // Without a token: 4403. Then alice's one allowed connection, and a second one refused with 4602.
    await pending.init({});
    expect(await pending.closed).toBe(4403);
    const token = `Bearer ${await tokenFor('alice')}`;
    const first = socket(node.wsUrl);
    await first.init({ authorization: token });
    await first.acked;
    const second = socket(node.wsUrl);
    await second.init({ authorization: token });
    expect(await second.closed).toBe(4602);
    first.close();
    expect(await first.closed).toBe(1000);
    await waitFor('the closes to be counted', async () => (await metric('switchboard_websocket_closes_total', { code: '1000' })) === 1);
    const text = await metricsText(node.url);
    for (const [code, count] of Object.entries({ '1000': 1, '1013': 1, '4403': 1, '4602': 1, '1006': 0, other: 0 })) {
      expect(sampleOf(text, 'switchboard_websocket_closes_total', { code }), `close ${code}`).toBe(count);
    }
    expect(sampleOf(text, 'switchboard_admission_refusals_total', { reason: 'handshakes' })).toBe(1);
    expect(sampleOf(text, 'switchboard_admission_refusals_total', { reason: 'user_connections' })).toBe(1);
    expect(sampleOf(text, 'switchboard_auth_failures_total', { reason: 'missing' })).toBe(1);
    expect(text).toMatch(new RegExp(`^switchboard_build_info\\{version="[^"]+",runtime="${runtime}"\\} 1$`, 'mu'));
  });

  it('count SSE streams while they are open', async () => {
    const stream = await readSse(node.url, MESSAGES, await tokenFor('bob'));
    await waitFor('the stream to count', async () => (await metric('switchboard_sse_streams_open')) === 1);
    stream.close();
    await waitFor('the stream to be gone', async () => (await metric('switchboard_sse_streams_open')) === 0);
  });
});
