import type { Context, Span, Tracer } from '@opentelemetry/api'
import type { SpanExporter } from '@opentelemetry/sdk-trace'

/**
 * Tracing for one service. When tracing is off, `active` is undefined and
 * callers skip every span operation; the SDK is not even loaded (it is
 * imported on demand, which also keeps ~250 ms of module loading off every
 * start-up). A disabled tracer costs one `undefined` check per request.
 *
 * The provider is never registered globally: tests run the three services in
 * one process, each with its own provider, as they do with metric registries.
 */
export interface Tracing {
  active: ActiveTracing | undefined
  /** Flushes pending spans and stops the exporter. */
  shutdown: () => Promise<void>
}

export interface ActiveTracing {
  tracer: Tracer
  /** The context a W3C traceparent describes (the root context when absent or invalid). */
  extract: (traceparent: string | null | undefined) => Context
  /** The W3C traceparent of a span, to store with an event or send as a Kafka header. */
  inject: (span: Span) => string | null
}

export interface TracingOptions {
  enabled: boolean
  /** Share of new traces recorded (0..1); a continued trace follows its parent's decision. */
  sampleRatio: number
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  endpoint: string
  service: string
  /** The replica id, as the resource's `service.instance.id`. */
  replica?: string
  /** Replaces the OTLP exporter (tests use an in-memory one); spans are then exported one by one. */
  exporter?: SpanExporter
}

export const disabledTracing: Tracing = { active: undefined, shutdown: async () => {} }

export async function createTracing(options: TracingOptions): Promise<Tracing> {
  if (!options.enabled) return disabledTracing
  const { createSdkTracing } = await import('./tracing-sdk.ts')
  return createSdkTracing(options)
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
