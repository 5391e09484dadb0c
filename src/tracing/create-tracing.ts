import type { Logger } from '../util/logger.ts';
import type { TracingConfig } from './config.ts';
import { disabledTracing, type Tracing } from './tracing.ts';

/**
 * The node's tracing: {@link disabledTracing} without a configuration (no endpoint, or
 * OTEL_SDK_DISABLED=true), so the SDK is not even loaded; else OpenTelemetry's SDK, imported here.
 */
export async function createTracing(config: TracingConfig | undefined, options: { nodeId: string; version: string; logger: Logger }): Promise<Tracing> {
  if (config === undefined) return disabledTracing;
  const { createOtelTracing } = await import('./otel-tracing.ts');
  return createOtelTracing({ config, ...options });
}
