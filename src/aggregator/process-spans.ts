import type { Span } from '@opentelemetry/api'
import type { Message } from '@platformatic/kafka'
import { eventHeaders } from '../shared/sum-event.ts'
import { type ActiveTracing, semconv, spanKinds, spanStatusError } from '../shared/telemetry/tracing.ts'
import type { ApplyResult, ConsumedRecord } from './db/apply-batch.ts'

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

/**
 * One CONSUMER span per record, "process <topic>", parented on the context
 * in the record's traceparent header (the relay's send span), so the apply
 * ends the trace the gRPC call began. Each ends when its batch commits.
 */
export function startProcessSpans(
  tracing: ActiveTracing,
  batch: RawMessage[],
  topic: string,
  groupId: string,
): Span[] {
  return batch.map((message) =>
    tracing.tracer.startSpan(
      `process ${topic}`,
      {
        kind: spanKinds.consumer,
        attributes: {
          [semconv.messagingSystem]: 'kafka',
          [semconv.messagingOperationType]: 'process',
          [semconv.messagingOperationName]: 'process',
          [semconv.messagingDestination]: topic,
          [semconv.messagingConsumerGroup]: groupId,
          [semconv.messagingPartition]: String(message.partition),
          [semconv.messagingKafkaOffset]: Number(message.offset),
        },
      },
      tracing.extract(headerOf(message, eventHeaders.traceparent)),
    ),
  )
}

function headerOf(message: RawMessage, name: string): string | undefined {
  for (const [key, value] of message.headers ?? []) if (key.toString() === name) return value.toString()
  return undefined
}

/** Ends each record's span with what happened to it. */
export function endProcessSpans(spans: Span[], records: ConsumedRecord[], result: ApplyResult): void {
  const applied = new Set(result.applied.map((event) => event.eventId))
  for (const [index, span] of spans.entries()) {
    const event = records[index]?.event
    if (event === null || event === undefined) {
      span.setAttribute('summa.outcome', 'dead_letter')
      span.setStatus({
        code: spanStatusError,
        message: 'undecodable record sent to the dead-letter topic',
      })
    } else {
      span.setAttribute(semconv.messagingMessageId, event.eventId)
      span.setAttribute('summa.request_id', event.requestId)
      span.setAttribute('summa.outcome', applied.has(event.eventId) ? 'applied' : 'skipped')
    }
    span.end()
  }
}
