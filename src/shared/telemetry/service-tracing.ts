import type { SpanExporter } from '@opentelemetry/sdk-trace'
import type { Config } from '../config.ts'
import type { Lifecycle } from '../lifecycle.ts'
import { replicaIdOf } from '../replica-id.ts'
import { createTracing, type Tracing } from './tracing.ts'

/** What a test may inject into a service's start function beyond its config. */
export interface ServiceHooks {
  /** Receives every recorded span instead of the OTLP exporter (tests assert span chains with it). */
  spanExporter?: SpanExporter
}

/**
 * The service's tracing from its config. Registered on the lifecycle first so
 * it shuts down last, after the work whose spans it must still export.
 */
export async function startServiceTracing(
  config: Config,
  service: 'calculator' | 'relay' | 'aggregator',
  lifecycle: Lifecycle,
  hooks: ServiceHooks,
): Promise<Tracing> {
  const tracing = await createTracing({
    enabled: config.SUMMA_OTEL_ENABLED,
    sampleRatio: config.SUMMA_OTEL_SAMPLE_RATIO,
    endpoint: config.SUMMA_OTEL_EXPORTER_URL,
    service,
    replica: replicaIdOf(config, service),
    ...(hooks.spanExporter === undefined ? {} : { exporter: hooks.spanExporter }),
  })
  lifecycle.defer('tracing', () => tracing.shutdown())
  return tracing
}
