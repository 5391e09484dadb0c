import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { DeliveryTally, Message } from '../domain/message.ts';
import { errorMessage } from '../util/error-message.ts';
import { createFaultLog } from '../util/fault-log.ts';
import type { Logger } from '../util/logger.ts';
import type { TracingConfig } from './config.ts';
import { runtimeInfo } from '../util/runtime-info.ts';
import type { SpanAttributes, TraceScope, Tracing } from './tracing.ts';

// Loaded only when tracing is configured (`create-tracing.ts` imports this module dynamically), so
// a node without OTEL_EXPORTER_OTLP_ENDPOINT never loads the SDK.

export interface OtelTracingOptions {
  readonly config: TracingConfig;
  /** `service.instance.id`: NODE_ID. */
  readonly nodeId: string;
  readonly version: string;
  readonly logger: Logger;
}

/** History reads link to at most this many senders' traces (a resume may read hundreds of messages). */
const MAX_LINKS = 32;
/** How long a stop waits for the last export (see shutdown). */
const FINAL_FLUSH_MS = 2_000;

/**
 * OTEL_TRACES_SAMPLER's decision, made before any span object exists, so the sends that are not
 * traced (99 of 100 at a 1 % ratio) cost one check and nothing of the SDK. `traceparent` is the
 * caller's (its sampled flag decides for the parent-based samplers); without one the root rule
 * does. A ratio is drawn per decision: the same share as a trace-id ratio, and nothing here needs
 * two nodes to agree, since the delivering node follows the carry's flag.
 */
function samplingRule(config: TracingConfig, random: () => number = Math.random): (traceparent: string | undefined) => boolean {
  const ratio = () => config.samplerRatio >= 1 || random() < config.samplerRatio;
  const [parentBased, rootName] = config.sampler.startsWith('parentbased_')
    ? [true, config.sampler.slice('parentbased_'.length)]
    : [false, config.sampler];
  const root = rootName === 'always_on' ? () => true : rootName === 'always_off' ? () => false : ratio;
  // The trace flags are the traceparent's last two hex digits; bit 0 is "sampled".
  const callerSampled = (traceparent: string) => (parseInt(traceparent.slice(-2), 16) & 1) === 1;
  return parentBased ? (traceparent) => (traceparent === undefined ? root() : callerSampled(traceparent)) : () => root();
}

/** Spans for a step that was not sampled: none, and its client steps get none either. */
const UNSAMPLED: TraceScope = { parent: undefined };

const carryOf = (span: Span): string | undefined => {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return span.isRecording() ? `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}` : undefined;
};

/**
 * Tracing with OpenTelemetry's JS SDK: spans batched (OTEL_BSP_*) to an OTLP/HTTP exporter,
 * protobuf or JSON, each parented explicitly (a {@link TraceScope}, a message's carry); where
 * async context is cheap the active span also follows `await`s (AsyncLocalStorage), so every log
 * line of a traced step knows it. An export that fails is one rate-limited log line (per minute),
 * and nothing else: sends and deliveries never wait on the exporter.
 */
export function createOtelTracing(options: OtelTracingOptions): Tracing {
  const { config, logger } = options;
  const faults = createFaultLog(logger, 60_000);
  setGlobalErrorHandler((error) => {
    faults.report('export', { endpoint: config.url, err: errorMessage(error) }, 'tracing: cannot export spans; sends and deliveries go on');
  });
  const exporterOptions = { url: config.url, headers: { ...config.headers }, timeoutMillis: config.timeoutMs };
  const exporter = config.protocol === 'http/json' ? new JsonExporter(exporterOptions) : new ProtobufExporter(exporterOptions);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      'service.name': config.serviceName,
      'service.version': options.version,
      'service.instance.id': options.nodeId,
    }),
    // What to record is decided before a span starts (samplingRule); every span started is recorded.
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor(exporter, config.batch)],
  });
  // The active span follows `await`s only where that is cheap; spans are parented explicitly anyway.
  if (cheapAsyncContext()) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const propagator = new W3CTraceContextPropagator();
  propagation.setGlobalPropagator(propagator);
  const tracer = provider.getTracer('switchboard', options.version);
  const sampled = samplingRule(config);

  /** The remote context a `traceparent` names (the root context when it is absent or malformed). */
  const remote = (traceparent: string | undefined): Context =>
    traceparent === undefined ? context.active() : propagator.extract(context.active(), { traceparent }, { get: (carrier, key) => carrier[key as 'traceparent'], keys: () => ['traceparent'] });

  /** Runs `run` with `span` active, ending it after, with an error status when `run` throws. */
  const within = async <T>(span: Span, run: () => Promise<T>): Promise<T> => {
    try {
      return await context.with(trace.setSpan(context.active(), span), run);
    } catch (error) {
      span.recordException(error instanceof Error ? error : new Error(String(error)));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      throw error;
    } finally {
      span.end();
    }
  };

  return {
    enabled: true,
    server(name, traceparent, attributes, run) {
      if (!sampled(traceparent)) return run(UNSAMPLED);
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, remote(traceparent));
      const scope: TraceScope = { parent: trace.setSpan(context.active(), span) };
      return within(span, () => run(scope));
    },
    client(scope, name, attributes, run, describe) {
      if (scope === UNSAMPLED) return run(undefined);
      const parent = (scope?.parent as Context | undefined) ?? context.active();
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
      return within(span, async () => {
        const result = await run(carryOf(span));
        if (describe !== undefined) span.setAttributes(describe(result));
        return result;
      });
    },
    delivery(message, deliver) {
      const tally: DeliveryTally = { sessions: 0, delivered: 0, buffered: 0, dropped: 0 };
      // The carry is always a sampled one; a node whose own rule is always_off still records nothing.
      if (!sampled(message.traceparent)) return deliver(tally);
      const parent = remote(message.traceparent);
      const span = tracer.startSpan('switchboard deliver', { kind: SpanKind.CONSUMER, attributes: messageAttributes(message) }, parent);
      try {
        context.with(trace.setSpan(parent, span), () => deliver(tally));
        span.setAttributes({
          'switchboard.recipient.sessions': tally.sessions,
          'switchboard.delivery.outcome': outcomeOf(tally),
          'switchboard.delivery.delivered': tally.delivered,
          'switchboard.delivery.buffered': tally.buffered,
          'switchboard.delivery.dropped': tally.dropped,
        });
      } finally {
        span.end();
      }
    },
    historyRead(after, run) {
      if (!sampled(undefined)) return run();
      const span = tracer.startSpan('switchboard history read', {
        kind: SpanKind.INTERNAL,
        attributes: { 'switchboard.history.after': after ?? '', 'switchboard.history.kind': after === undefined ? 'catch-up' : 'resume' },
      });
      return within(span, async () => {
        const page = await run();
        span.setAttribute('switchboard.history.messages', page.items.length);
        const links: Link[] = [];
        for (const item of page.items) {
          if (links.length === MAX_LINKS) break;
          const sender = item.traceparent === undefined ? undefined : trace.getSpanContext(remote(item.traceparent));
          if (sender !== undefined) links.push({ context: sender, attributes: { 'messaging.message.id': item.id } });
        }
        if (links.length > 0) span.addLinks(links);
        return page;
      });
    },
    event(name, attributes) {
      if (!sampled(undefined)) return;
      const span = tracer.startSpan(`switchboard ${name}`, { kind: SpanKind.INTERNAL, attributes }, context.active());
      span.addEvent(name, attributes);
      span.end();
    },
    logFields() {
      const span: SpanContext | undefined = trace.getActiveSpan()?.spanContext();
      return span === undefined ? undefined : { trace_id: span.traceId, span_id: span.spanId };
    },
    async shutdown() {
      // The last export waits at most FINAL_FLUSH_MS: a collector that accepts and never answers
      // would otherwise hold the stop for OTEL_EXPORTER_OTLP_TIMEOUT (10 s by default), as long
      // as all of SHUTDOWN_TIMEOUT_MS.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const gaveUp = new Promise<'gave up'>((resolve) => {
        timer = setTimeout(() => resolve('gave up'), FINAL_FLUSH_MS);
      });
      const flushed = provider.shutdown().then(
        () => 'flushed' as const,
        (error: unknown) => logger.warn({ err: errorMessage(error) }, 'tracing: could not export the last spans'),
      );
      if ((await Promise.race([flushed, gaveUp])) === 'gave up') {
        logger.warn({ waitedMs: FINAL_FLUSH_MS }, 'tracing: the last spans were not exported in time; stopping without them');
      }
      clearTimeout(timer);
      context.disable();
    },
  };
}

function messageAttributes(message: Message): SpanAttributes {
  const delay = Date.now() - Date.parse(message.sentAt);
  return { 'messaging.system': 'redis', 'messaging.message.id': message.id, 'switchboard.since_sent_ms': Number.isFinite(delay) ? Math.max(0, delay) : -1 };
}

/** The delivery span's one-word outcome: the worst that happened in any session. */
function outcomeOf(tally: DeliveryTally): string {
  if (tally.sessions === 0) return 'not_local';
  if (tally.dropped > 0) return 'dropped';
  if (tally.buffered > 0) return 'buffered';
  return 'delivered';
}

/**
 * Whether AsyncLocalStorage costs little here: Deno, and Node 24 and later (AsyncContextFrame). On
 * Node 20 and 22 it turns on V8's promise hooks, which slowed every message by a quarter in the
 * bench whatever the sampling ratio (BENCHMARKS.md, issue 23), so there the active span is not
 * tracked across `await`s.
 */
function cheapAsyncContext(): boolean {
  const { runtime, version } = runtimeInfo();
  return runtime === 'deno' || Number(version.split('.')[0]) >= 24;
}
