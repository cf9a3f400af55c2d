import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace'

/**
 * Tracing for one service. When tracing is off, `tracer` is undefined and
 * callers skip every span operation: no provider, no sampler, no context
 * manager, so a disabled tracer costs one `undefined` check per request.
 *
 * The provider is never registered globally: tests run the three services in
 * one process, each with its own provider, as they do with metric registries.
 */
export interface Tracing {
  tracer: Tracer | undefined
  /** Flushes pending spans and stops the exporter. */
  shutdown: () => Promise<void>
}

export interface TracingOptions {
  enabled: boolean
  /** Share of new traces recorded (0..1); a continued trace follows its parent's decision. */
  sampleRatio: number
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  endpoint: string
  service: string
  /** Replaces the OTLP exporter (tests use an in-memory one); spans are then exported one by one. */
  exporter?: SpanExporter
}

export const disabledTracing: Tracing = { tracer: undefined, shutdown: async () => {} }

export function createTracing(options: TracingOptions): Tracing {
  if (!options.enabled) return disabledTracing
  installContextManager()
  const processor =
    options.exporter === undefined
      ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: options.endpoint }) })
      : new SimpleSpanProcessor({ exporter: options.exporter })
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': `summa-${options.service}` }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors: [processor],
  })
  return { tracer: provider.getTracer('summa'), shutdown: () => provider.shutdown() }
}

let contextManagerInstalled = false

/**
 * The active context (read by the log mixin for trace_id/span_id) needs a
 * context manager; it is installed once per process and only when some
 * service enables tracing.
 */
function installContextManager(): void {
  if (contextManagerInstalled) return
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  contextManagerInstalled = true
}

const propagator = new W3CTraceContextPropagator()

/** The context a W3C traceparent describes (the root context when absent or invalid). */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  if (traceparent === null || traceparent === undefined) return ROOT_CONTEXT
  return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter)
}

/** The W3C traceparent of a span, to store with an event or send as a Kafka header. */
export function traceparentOf(span: Span): string | null {
  const carrier: Record<string, string> = {}
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter)
  return carrier.traceparent ?? null
}

/** Attribute names from the OpenTelemetry semantic conventions (messaging and RPC). */
export const semconv = {
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  rpcGrpcStatusCode: 'rpc.grpc.status_code',
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingMessageId: 'messaging.message.id',
  messagingPartition: 'messaging.destination.partition.id',
  messagingKafkaKey: 'messaging.kafka.message.key',
  messagingKafkaOffset: 'messaging.kafka.offset',
  messagingConsumerGroup: 'messaging.consumer.group.name',
} as const
