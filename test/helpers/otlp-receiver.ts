import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as the receiver decoded it (OTLP/HTTP, JSON or protobuf), with its resource's attributes. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly resource: Readonly<Record<string, string | number | boolean>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly events: readonly string[];
  /** How it arrived: the request's content type. */
  readonly format: 'json' | 'protobuf';
}

/** An in-process OTLP/HTTP trace receiver (`POST /v1/traces`), for the tests; answers 200 `{}` like a collector. */
export interface OtlpReceiver {
  /** OTEL_EXPORTER_OTLP_ENDPOINT for a node: `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  stop(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
    void body(request).then((bytes) => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const type = request.headers['content-type'] ?? '';
      if (type.startsWith('application/json')) spans.push(...fromJson(JSON.parse(bytes.toString('utf8')) as JsonRequest));
      else if (type.startsWith('application/x-protobuf')) spans.push(...fromProtobuf(bytes));
      else {
        response.writeHead(415).end();
        return;
      }
      response.writeHead(200, { 'content-type': type.startsWith('application/json') ? 'application/json' : 'application/x-protobuf' });
      response.end(type.startsWith('application/json') ? '{}' : Buffer.alloc(0));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function body(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

// --- OTLP/JSON (opentelemetry-proto's JSON mapping: ids as hex strings) ---

type JsonValue = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number };
type JsonAttribute = { key: string; value: JsonValue };
type JsonRequest = {
  resourceSpans?: Array<{
    resource?: { attributes?: JsonAttribute[] };
    scopeSpans?: Array<{
      spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: JsonAttribute[]; links?: Array<{ traceId: string; spanId: string }>; events?: Array<{ name: string }> }>;
    }>;
  }>;
};

function jsonAttributes(attributes: JsonAttribute[] | undefined): Record<string, string | number | boolean> {
  const result: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    result[key] = value.stringValue ?? value.boolValue ?? (value.intValue === undefined ? value.doubleValue : Number(value.intValue)) ?? '';
  }
  return result;
}

function fromJson(request: JsonRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        attributes: jsonAttributes(span.attributes),
        resource,
        links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
        events: (span.events ?? []).map((event) => event.name),
        format: 'json' as const,
      })),
    );
  });
}

// --- OTLP/protobuf: a wire-format reader for the few messages a trace export holds ---

type Field = Uint8Array | bigint;

/** A protobuf message's fields, number → values in order (length-delimited as bytes, varints and fixed as bigint). */
function fields(bytes: Uint8Array): Map<number, Field[]> {
  const result = new Map<number, Field[]>();
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[at++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [number, wire] = [key >> 3, key & 7];
    let value: Field;
    if (wire === 0) {
      value = varint();
    } else if (wire === 1) {
      value = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true);
      at += 8;
    } else if (wire === 5) {
      value = BigInt(new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true));
      at += 4;
    } else if (wire === 2) {
      const length = Number(varint());
      value = bytes.subarray(at, at + length);
      at += length;
    } else throw new Error(`Cannot read the protobuf body: wire type ${wire}`);
    result.set(number, [...(result.get(number) ?? []), value]);
  }
  return result;
}

const all = (message: Map<number, Field[]>, number: number) => (message.get(number) ?? []) as Uint8Array[];
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('hex');
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

/** KeyValue (1 key, 2 AnyValue: 1 string, 2 bool, 3 int, 4 double). */
function protoAttributes(list: Uint8Array[]): Record<string, string | number | boolean> {
  const result: Record<string, string | number | boolean> = {};
  for (const entry of list) {
    const pair = fields(entry);
    const value = fields(all(pair, 2)[0] ?? new Uint8Array());
    const key = text(all(pair, 1)[0]);
    if (value.has(1)) result[key] = text(all(value, 1)[0]);
    else if (value.has(2)) result[key] = (value.get(2)?.[0] as bigint) === 1n;
    else if (value.has(3)) result[key] = Number(value.get(3)?.[0] as bigint);
    else if (value.has(4)) result[key] = new DataView(new BigUint64Array([value.get(4)?.[0] as bigint]).buffer).getFloat64(0, true);
  }
  return result;
}

/** ExportTraceServiceRequest: 1 ResourceSpans (1 Resource (1 attributes), 2 ScopeSpans (2 Span)). */
function fromProtobuf(bytes: Uint8Array): ReceivedSpan[] {
  return all(fields(bytes), 1).flatMap((resourceSpansBytes) => {
    const resourceSpans = fields(resourceSpansBytes);
    const resource = protoAttributes(all(fields(all(resourceSpans, 1)[0] ?? new Uint8Array()), 1));
    return all(resourceSpans, 2).flatMap((scopeBytes) =>
      all(fields(scopeBytes), 2).map((spanBytes) => {
        // Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 9 attributes, 11 events (1 time, 2 name), 13 links (1 trace_id, 2 span_id).
        const span = fields(spanBytes);
        return {
          traceId: hex(all(span, 1)[0]),
          spanId: hex(all(span, 2)[0]),
          parentSpanId: hex(all(span, 4)[0]),
          name: text(all(span, 5)[0]),
          attributes: protoAttributes(all(span, 9)),
          resource,
          links: all(span, 13).map((linkBytes) => {
            const link = fields(linkBytes);
            return { traceId: hex(all(link, 1)[0]), spanId: hex(all(link, 2)[0]) };
          }),
          events: all(span, 11).map((eventBytes) => text(all(fields(eventBytes), 2)[0])),
          format: 'protobuf' as const,
        };
      }),
    );
  });
}
