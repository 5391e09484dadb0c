import type { ConfigReader, ConfigVariable } from '../util/config-reader.ts';

/**
 * OpenTelemetry tracing, configured only by the standard `OTEL_*` variables (the OpenTelemetry
 * specification's names and defaults; docs/OPERATIONS.md "Tracing a message"). No endpoint, or
 * `OTEL_SDK_DISABLED=true`: no configuration, and the SDK is never loaded.
 */
export interface TracingConfig {
  /** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  readonly url: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES; `service.instance.id` is NODE_ID whatever they say. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: Sampler;
  /** OTEL_TRACES_SAMPLER_ARG: the ratio of the ratio samplers. */
  readonly samplerRatio: number;
  readonly batch: {
    readonly scheduledDelayMillis: number;
    readonly exportTimeoutMillis: number;
    readonly maxQueueSize: number;
    readonly maxExportBatchSize: number;
  };
}

const SAMPLERS = [
  'parentbased_traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'traceidratio',
  'always_on',
  'always_off',
] as const;
type Sampler = (typeof SAMPLERS)[number];

/** The variables {@link parseTracingConfig} reads, for `CONFIG_VARIABLES`. */
export const TRACING_VARIABLES: readonly ConfigVariable[] = [
  { name: 'OTEL_SDK_DISABLED', description: "'true': no tracing even with an endpoint set." },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', description: 'OTLP/HTTP base URL (spans go to <url>/v1/traces). Unset (and no traces endpoint): no tracing, the SDK is not loaded.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', description: 'OTLP/HTTP URL for spans, used as given; wins over OTEL_EXPORTER_OTLP_ENDPOINT.' },
  { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', description: "'http/protobuf' (default) or 'http/json'." },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', description: 'The same for spans only; wins over OTEL_EXPORTER_OTLP_PROTOCOL.' },
  { name: 'OTEL_EXPORTER_OTLP_HEADERS', description: "Headers of every export, 'name=value,name2=value2' (values URL-encoded)." },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', description: 'The same for spans only; added to OTEL_EXPORTER_OTLP_HEADERS.' },
  { name: 'OTEL_EXPORTER_OTLP_TIMEOUT', description: 'Milliseconds one export may take. Default 10000.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', description: 'The same for spans only.' },
  { name: 'OTEL_SERVICE_NAME', description: "service.name of every span. Default 'switchboard'." },
  { name: 'OTEL_RESOURCE_ATTRIBUTES', description: "More resource attributes, 'key=value,…' (service.instance.id is always NODE_ID)." },
  { name: 'OTEL_TRACES_SAMPLER', description: `${SAMPLERS.join(', ')}. Default parentbased_traceidratio: follow the caller's sampled flag, else sample OTEL_TRACES_SAMPLER_ARG of new traces.` },
  { name: 'OTEL_TRACES_SAMPLER_ARG', description: 'Ratio (0 to 1) of the ratio samplers. Default 1.' },
  { name: 'OTEL_BSP_SCHEDULE_DELAY', description: 'Milliseconds between batch exports. Default 5000.' },
  { name: 'OTEL_BSP_EXPORT_TIMEOUT', description: 'Milliseconds a batch export may take. Default 30000.' },
  { name: 'OTEL_BSP_MAX_QUEUE_SIZE', description: 'Spans queued for export at most (more are dropped). Default 2048.' },
  { name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', description: 'Spans per export at most. Default 512.' },
];

/** Reads {@link TRACING_VARIABLES}; `undefined` when tracing is off. @throws ConfigError (through `reader.fail`). */
export function parseTracingConfig(reader: ConfigReader): TracingConfig | undefined {
  const disabled = reader.choice('OTEL_SDK_DISABLED', ['true', 'false'], 'false');
  const tracesEndpoint = reader.text('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = reader.text('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (disabled === 'true' || (tracesEndpoint === undefined && endpoint === undefined)) return undefined;
  const url =
    tracesEndpoint !== undefined
      ? httpUrl(reader, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint)
      : `${httpUrl(reader, 'OTEL_EXPORTER_OTLP_ENDPOINT', endpoint as string).replace(/\/+$/u, '')}/v1/traces`;
  const protocolVariable = reader.text('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') === undefined ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const protocol = reader.text(protocolVariable) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    reader.fail(protocolVariable, `Invalid ${protocolVariable}: expected http/protobuf or http/json (grpc is not supported): current value '${protocol}'`);
  }
  const timeoutVariable = reader.text('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') === undefined ? 'OTEL_EXPORTER_OTLP_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT';
  const ratioText = reader.text('OTEL_TRACES_SAMPLER_ARG');
  const samplerRatio = ratioText === undefined ? 1 : Number(ratioText);
  if (!(samplerRatio >= 0 && samplerRatio <= 1)) {
    reader.fail('OTEL_TRACES_SAMPLER_ARG', `Invalid OTEL_TRACES_SAMPLER_ARG: expected a number from 0 to 1: current value '${ratioText}'`);
  }
  return {
    url,
    protocol,
    headers: { ...pairs(reader, 'OTEL_EXPORTER_OTLP_HEADERS'), ...pairs(reader, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') },
    timeoutMs: reader.integer(timeoutVariable, 10_000, 1, 600_000),
    serviceName: reader.text('OTEL_SERVICE_NAME') ?? 'switchboard',
    resourceAttributes: pairs(reader, 'OTEL_RESOURCE_ATTRIBUTES'),
    sampler: reader.choice('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_traceidratio'),
    samplerRatio,
    batch: {
      scheduledDelayMillis: reader.integer('OTEL_BSP_SCHEDULE_DELAY', 5000, 1, 600_000),
      exportTimeoutMillis: reader.integer('OTEL_BSP_EXPORT_TIMEOUT', 30_000, 1, 600_000),
      maxQueueSize: reader.integer('OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1, 1_000_000),
      maxExportBatchSize: reader.integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1, 1_000_000),
    },
  };
}

function httpUrl(reader: ConfigReader, name: string, raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    reader.fail(name, `Invalid ${name}: expected an http:// or https:// URL: current value '${raw}'`);
  }
  return raw;
}

/** `name=value,name2=value2` with URL-encoded values (the OpenTelemetry format of headers and resource attributes). */
function pairs(reader: ConfigReader, name: string): Record<string, string> {
  const raw = reader.text(name);
  const result: Record<string, string> = {};
  if (raw === undefined) return result;
  for (const [index, pair] of raw.split(',').entries()) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const key = at <= 0 ? '' : pair.slice(0, at).trim();
    let value: string | undefined;
    try {
      value = at <= 0 ? undefined : decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      value = undefined;
    }
    // The entry itself is not quoted: a header's value may be a credential.
    if (key === '' || value === undefined) reader.fail(name, `Invalid ${name}: expected 'name=value' pairs separated by commas (values URL-encoded): entry ${index + 1} is not`);
    result[key] = value;
  }
  return result;
}
