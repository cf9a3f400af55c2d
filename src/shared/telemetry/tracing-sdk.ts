import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace'
import { readActiveSpanWith } from '../logger.ts'
import type { Tracing, TracingOptions } from './tracing.ts'

/** The OpenTelemetry SDK side of tracing.ts, loaded only when tracing is on. */
export function createSdkTracing(options: TracingOptions): Tracing {
  installContextManager()
  const processor =
    options.exporter === undefined
      ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: options.endpoint }) })
      : new SimpleSpanProcessor({ exporter: options.exporter })
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': `summa-${options.service}`,
      ...(options.replica === undefined ? {} : { 'service.instance.id': options.replica }),
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors: [processor],
  })
  const propagator = new W3CTraceContextPropagator()
  return {
    active: {
      tracer: provider.getTracer('summa'),
      extract: (traceparent) =>
        traceparent === null || traceparent === undefined
          ? ROOT_CONTEXT
          : propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter),
      inject: (span) => {
        const carrier: Record<string, string> = {}
        propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter)
        return carrier.traceparent ?? null
      },
      withSpan: (span, work) => context.with(trace.setSpan(context.active(), span), work),
    },
    shutdown: () => provider.shutdown(),
  }
}

let contextManagerInstalled = false

/**
 * The active context (read by the log mixin for trace_id/span_id) needs a
 * context manager; it is installed once per process and only when some
 * service enables tracing, and the mixin reads spans from then on.
 */
function installContextManager(): void {
  if (contextManagerInstalled) return
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  readActiveSpanWith(() => trace.getSpan(context.active())?.spanContext())
  contextManagerInstalled = true
}
