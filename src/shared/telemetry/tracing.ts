import type { Context, Span, SpanKind, SpanStatusCode, Tracer } from '@opentelemetry/api'
import type { SpanExporter } from '@opentelemetry/sdk-trace'

/**
 * Tracing for one service. When tracing is off, `active` is undefined and
 * callers skip every span operation; neither the SDK nor the OpenTelemetry API
 * is even loaded (both are imported on demand, by tracing-sdk.ts, which also
 * keeps ~250 ms of module loading off every start-up, and the API's ~0.6 MB of
 * heap off a service that does not trace). A disabled tracer costs one
 * `undefined` check per request.
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
  /** Runs `work` with `span` active, so that what it logs carries the span's ids. */
  withSpan: <T>(span: Span, work: () => T) => T
}

/**
 * The values of the API's SpanKind and SpanStatusCode that summa uses, as
 * constants: importing the enums would load the API in every service, tracing
 * on or off. The values are part of the OpenTelemetry specification (a spec
 * checks them against the API's enums).
 */
export const spanKinds = {
  server: 1 as SpanKind.SERVER,
  producer: 3 as SpanKind.PRODUCER,
  consumer: 4 as SpanKind.CONSUMER,
} as const
export const spanStatusError = 2 as SpanStatusCode.ERROR

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
