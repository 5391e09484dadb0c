import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MESSAGES, subscribeReady, subscribeInbox, type Inbox } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.ts';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SEND = `mutation Send($to: ID!, $body: String!) { sendMessage(toUserId: $to, body: $body) { id } }`;
/** Export every 100 ms, so the test waits for spans, not for the 5 s default. */
const OTEL_FAST = { OTEL_BSP_SCHEDULE_DELAY: '100' };

/** A caller's trace context: a new trace id and span id, sampled or not. */
function traceparent(sampled: boolean): { header: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`, traceId, spanId };
}

async function sendWithTrace(node: NodeProcess, to: string, body: string, header: string | undefined): Promise<string> {
  const response = await fetch(node.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('app')}`, ...(header === undefined ? {} : { traceparent: header }) },
    body: JSON.stringify({ query: SEND, variables: { to, body } }),
  });
  const answer = (await response.json()) as { data?: { sendMessage: { id: string } }; errors?: unknown };
  if (answer.data?.sendMessage.id === undefined) throw new Error(`send failed: ${JSON.stringify(answer.errors)}`);
  return answer.data.sendMessage.id;
}

/** Whether `span` descends from the span `ancestorId` within `spans`. */
function descendsFrom(span: ReceivedSpan, ancestorId: string, spans: readonly ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((candidate) => [candidate.spanId, candidate]));
  for (let at: ReceivedSpan | undefined = span; at !== undefined; at = byId.get(at.parentSpanId)) {
    if (at.parentSpanId === ancestorId) return true;
  }
  return false;
}

describe('one trace from a send on node a to the delivery on node b (standalone Redis)', () => {
  let redis: RedisProcess;
  let receiver: OtlpReceiver;
  let a: NodeProcess;
  let b: NodeProcess;
  let inbox: Inbox;
  let dispose = () => {};
  beforeAll(async () => {
    redis = await startRedis();
    receiver = await startOtlpReceiver();
    const env = { REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, ...OTEL_FAST };
    // a exports JSON, b protobuf: the receiver reads both.
    [a, b] = await Promise.all([
      startNode({ ...env, NODE_ID: 'a', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      startNode({ ...env, NODE_ID: 'b', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }),
    ]);
    const client = connect(b.wsUrl, await tokenFor('rosa'));
    dispose = () => void client.dispose();
    inbox = await subscribeReady(client, { userId: 'rosa', sendUrl: a.url, probeToken: await tokenFor('probe') });
  });
  afterAll(async () => {
    dispose();
    await Promise.all([a?.stop(), b?.stop()]);
    await receiver?.stop();
    await redis?.stop();
  });

  it("continues the caller's traceparent: spans of both nodes in one trace, b's delivery under a's send", async () => {
    const caller = traceparent(true);
    const id = await sendWithTrace(a, 'rosa', 'traced', caller.header);
    await inbox.waitForCount(1);
    const spans = await waitFor('spans of the trace from both nodes', () => {
      const trace = receiver.spans.filter((span) => span.traceId === caller.traceId);
      const nodes = new Set(trace.map((span) => span.resource['service.instance.id']));
      return nodes.has('a') && nodes.has('b') && trace.some((span) => span.name === 'switchboard deliver') ? trace : undefined;
    });
    const send = spans.find((span) => span.name === 'switchboard sendMessage');
    const redisSend = spans.find((span) => span.name === 'switchboard redis send');
    const deliver = spans.find((span) => span.name === 'switchboard deliver');
    expect(send).toMatchObject({ parentSpanId: caller.spanId, resource: { 'service.instance.id': 'a', 'service.name': 'switchboard' }, format: 'json' });
    expect(redisSend).toMatchObject({ parentSpanId: send?.spanId, resource: { 'service.instance.id': 'a' }, attributes: { 'messaging.message.id': id } });
    expect(deliver).toMatchObject({
      resource: { 'service.instance.id': 'b' },
      format: 'protobuf',
      attributes: { 'messaging.message.id': id, 'switchboard.recipient.sessions': 1, 'switchboard.delivery.outcome': 'delivered' },
    });
    expect(descendsFrom(deliver as ReceivedSpan, send?.spanId as string, spans)).toBe(true);
    expect(deliver?.attributes['switchboard.since_sent_ms']).toBeGreaterThanOrEqual(0);
  });

  it('continues the traceparent in the extensions of a sendMessage over graphql-ws', async () => {
    const caller = traceparent(true);
    const sender = connect(a.wsUrl, await tokenFor('app'));
    try {
      const answer = await new Promise<unknown>((resolve, reject) => {
        sender.subscribe(
          { query: SEND, variables: { to: 'rosa', body: 'over the socket' }, extensions: { traceparent: caller.header } },
          { next: resolve, error: reject, complete: () => {} },
        );
      });
      expect(answer).toMatchObject({ data: { sendMessage: { id: expect.any(String) } } });
      const spans = await waitFor('the socket send and its delivery in the caller\'s trace', () => {
        const trace = receiver.spans.filter((span) => span.traceId === caller.traceId);
        return trace.some((span) => span.name === 'switchboard deliver') ? trace : undefined;
      });
      expect(spans.find((span) => span.name === 'switchboard sendMessage')).toMatchObject({ parentSpanId: caller.spanId, resource: { 'service.instance.id': 'a' } });
    } finally {
      await sender.dispose();
    }
  });

  it('a sampled send carries its traceparent in the stream entry; an unsampled one adds no byte', async () => {
    await sendWithTrace(a, 'sam', 'sampled', traceparent(true).header);
    await sendWithTrace(a, 'sam', 'unsampled', traceparent(false).header);
    const entries = (await redis.client.xrange('sb:{u:sam}:inbox', '-', '+')) as Array<[string, string[]]>;
    expect(entries.map(([, fields]) => fields.filter((_, i) => i % 2 === 0))).toEqual([['f', 'b', 's', 't'], ['f', 'b', 's']]);
    expect(entries[0]?.[1][7]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('a resume reads history in a span of its own, linked to the trace that sent the message', async () => {
    const caller = traceparent(true);
    const id = await sendWithTrace(a, 'ulla', 'read back later', caller.header);
    const client = connect(b.wsUrl, await tokenFor('ulla'));
    try {
      const resumed = subscribeInbox(client, 'subscription($after: ID) { messageReceived(after: $after) { id fromUserId toUserId body sentAt } }', { after: `${Number(id.split('-')[0]) - 1}-0` });
      expect((await resumed.waitForCount(1))[0]?.id).toBe(id);
      const read = await waitFor('a history read span linked to the send', () =>
        receiver.spans.find((span) => span.name === 'switchboard history read' && span.links.some((link) => link.traceId === caller.traceId)),
      );
      expect(read).toMatchObject({ resource: { 'service.instance.id': 'b' }, attributes: { 'switchboard.history.kind': 'resume', 'switchboard.history.messages': 1 } });
    } finally {
      await client.dispose();
    }
  });

  it('connection open and close are span events', async () => {
    const events = await waitFor('connection events from b', () => {
      const names = receiver.spans.filter((span) => span.resource['service.instance.id'] === 'b').flatMap((span) => span.events);
      return names.includes('connection.open') && names.includes('connection.close') ? names : undefined;
    });
    expect(events).toEqual(expect.arrayContaining(['connection.open', 'connection.close']));
  });
});

describe('the same trace over Redis Cluster, delivered by a Deno node', () => {
  let cluster: RedisCluster;
  let receiver: OtlpReceiver;
  let a: NodeProcess;
  let d: NodeProcess;
  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: 0 });
    receiver = await startOtlpReceiver();
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, ...OTEL_FAST };
    [a, d] = await Promise.all([startNode({ ...env, NODE_ID: 'a' }), startNode({ ...env, NODE_ID: 'd' }, { runtime: 'deno' })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), d?.stop()]);
    await receiver?.stop();
    await cluster?.stop();
  });

  it("a send on the Node node, the delivery on the Deno node, one trace", async () => {
    const client = connect(d.wsUrl, await tokenFor('xena'));
    try {
      const inbox = await subscribeReady(client, { userId: 'xena', sendUrl: a.url, probeToken: await tokenFor('probe') });
      const caller = traceparent(true);
      const id = await sendWithTrace(a, 'xena', 'across shards and runtimes', caller.header);
      await inbox.waitForCount(1);
      const spans = await waitFor('the send on a and the delivery on d', () => {
        const trace = receiver.spans.filter((span) => span.traceId === caller.traceId);
        return trace.some((span) => span.name === 'switchboard deliver') && trace.some((span) => span.name === 'switchboard sendMessage') ? trace : undefined;
      });
      const send = spans.find((span) => span.name === 'switchboard sendMessage') as ReceivedSpan;
      const deliver = spans.find((span) => span.name === 'switchboard deliver') as ReceivedSpan;
      expect(send.resource['service.instance.id']).toBe('a');
      expect(deliver).toMatchObject({ resource: { 'service.instance.id': 'd' }, attributes: { 'messaging.message.id': id, 'switchboard.delivery.outcome': 'delivered' } });
      expect(descendsFrom(deliver, send.spanId, spans)).toBe(true);
    } finally {
      await client.dispose();
    }
  });
});

describe('tracing: log lines, off, exporter down', () => {
  let redis: RedisProcess;
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    redis = await startRedis();
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver?.stop();
    await redis?.stop();
  });

  it('OTEL_SDK_DISABLED=true with an endpoint set: no span leaves the node, and the stream entry carries nothing', async () => {
    const node = await startNode({ REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SDK_DISABLED: 'true', ...OTEL_FAST });
    try {
      await sendWithTrace(node, 'vic', 'not traced', traceparent(true).header);
      await new Promise((resolve) => setTimeout(resolve, 500)); // five export periods
      expect(receiver.spans).toEqual([]);
      expect(node.logs.some((line) => line['msg'] === 'tracing on')).toBe(false);
      const [[, fields] = ['', []]] = (await redis.client.xrange('sb:{u:vic}:inbox', '-', '+')) as Array<[string, string[]]>;
      expect(fields.filter((_, i) => i % 2 === 0)).toEqual(['f', 'b', 's']);
    } finally {
      await node.stop();
    }
  });

  it('OTEL_TRACES_SAMPLER_ARG=0: a send without a traceparent is not traced, one with a sampled traceparent is (parent-based)', async () => {
    const node = await startNode({ REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER_ARG: '0', ...OTEL_FAST });
    try {
      await sendWithTrace(node, 'zoe', 'no traceparent', undefined);
      const caller = traceparent(true);
      await sendWithTrace(node, 'zoe', 'sampled by the caller', caller.header);
      await waitFor('the caller-sampled send span', () => receiver.spans.some((span) => span.traceId === caller.traceId && span.name === 'switchboard sendMessage'));
      await new Promise((resolve) => setTimeout(resolve, 300)); // three more export periods
      const sends = receiver.spans.filter((span) => span.name === 'switchboard sendMessage' && span.resource['service.instance.id'] === node.nodeId);
      expect(sends.map((span) => span.traceId)).toEqual([caller.traceId]);
      const entries = (await redis.client.xrange('sb:{u:zoe}:inbox', '-', '+')) as Array<[string, string[]]>;
      expect(entries.map(([, fields]) => fields.includes('t'))).toEqual([false, true]);
    } finally {
      await node.stop();
    }
  });

  it("a line logged while a span is active carries its trace_id and span_id (a send that Redis does not answer)", async () => {
    const node = await startNode({ REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, ...OTEL_FAST, SEND_TIMEOUT_MS: '300' });
    try {
      const caller = traceparent(true);
      redis.pause();
      const refused = await sendWithTrace(node, 'yul', 'while Redis hangs', caller.header).catch((error: unknown) => String(error));
      redis.resume();
      expect(refused).toContain('UNAVAILABLE');
      const line = await waitFor('the failed send logged', () => node.logs.find((entry) => entry['msg'] === 'sendMessage failed in Redis: answered UNAVAILABLE'));
      expect(line['trace_id']).toBe(caller.traceId);
      expect(line['span_id']).toMatch(/^[0-9a-f]{16}$/);
      // And a line outside any span carries none.
      expect(node.logs.find((entry) => entry['msg'] === 'listening')?.['trace_id']).toBeUndefined();
    } finally {
      redis.resume();
      await node.stop();
    }
  });

  it('the exporter endpoint down: sends and deliveries go on, and one log line says so', async () => {
    const closed = await startOtlpReceiver();
    const endpoint = closed.endpoint;
    await closed.stop(); // nothing listens there now
    const node = await startNode({ REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...OTEL_FAST, OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
    const client = connect(node.wsUrl, await tokenFor('wes'));
    try {
      const inbox = await subscribeReady(client, { userId: 'wes', sendUrl: node.url, probeToken: await tokenFor('probe') });
      for (let i = 0; i < 5; i += 1) await sendWithTrace(node, 'wes', `m${i}`, traceparent(true).header);
      expect((await inbox.waitForCount(5)).map((message) => message.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      await waitFor('the export failure log line', () => node.logs.some((line) => line['msg'] === 'tracing: cannot export spans; sends and deliveries go on'));
      await new Promise((resolve) => setTimeout(resolve, 1000)); // ten more failed exports
      expect(node.logs.filter((line) => line['msg'] === 'tracing: cannot export spans; sends and deliveries go on')).toHaveLength(1);
    } finally {
      await client.dispose();
      await node.stop();
    }
  });

  it('a collector that accepts and never answers does not hold the stop: the last export is given up after 2 s, exit 0', async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket)); // reads nothing, answers nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    // The exporter's own timeout stays at its default (10 s), longer than this stop may take; the
    // spans wait in the batch until the stop flushes them.
    const node = await startNode({ REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '60000', SHUTDOWN_TIMEOUT_MS: '6000' });
    try {
      await sendWithTrace(node, 'xia', 'pending at the stop', traceparent(true).header);
    } finally {
      await node.stop();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    expect(node.exitCode).toBe(0);
    expect(node.logs.map((line) => line['msg'])).toEqual(expect.arrayContaining(['tracing: the last spans were not exported in time; stopping without them', 'shut down']));
  });
});
