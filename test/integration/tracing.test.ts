import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { SpanKind } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { pino } from 'pino'
import { traceFields } from '../../src/shared/logger.ts'
import { eventually } from '../helpers/eventually.ts'
import { isPublished } from '../helpers/outbox.ts'
import {
  calculatorClient,
  createTestSystem,
  startTestAggregator,
  startTestCalculator,
  startTestRelay,
} from '../helpers/system.ts'

const parentId = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId

describe('tracing', () => {
  it('follows one Add from the gRPC call through the outbox and Kafka to the apply, in one trace', async (t) => {
    const system = await createTestSystem(t, { SUMMA_OTEL_ENABLED: 'true', SUMMA_OTEL_SAMPLE_RATIO: '1' })
    const exporter = new InMemorySpanExporter()
    const calculator = await startTestCalculator(t, system.config, { spanExporter: exporter })
    await startTestRelay(t, system.config, { spanExporter: exporter })
    await startTestAggregator(t, system.config, { spanExporter: exporter })
    const client = calculatorClient(t, calculator.running.grpcPort)

    // The caller's own trace: the server span must continue it.
    const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const callerSpanId = '00f067aa0ba902b7'
    const metadata = new grpc.Metadata()
    metadata.set('traceparent', `00-${callerTraceId}-${callerSpanId}-01`)
    const requestId = randomUUID()
    await client.add({ requestId, num1: '40', num2: '2', metadata })

    const spans = await eventually(() => {
      const finished = exporter
        .getFinishedSpans()
        .filter((span) => span.spanContext().traceId === callerTraceId)
      const process = finished.find((span) => span.kind === SpanKind.CONSUMER)
      assert.ok(process, 'the aggregator recorded its process span')
      return finished
    }, 30_000)

    const [event] = await system.db.sql<{ event_id: string }[]>`
      select event_id from outbox where message_key = ${requestId}`
    const eventId = event!.event_id
    const server = spans.find((span) => span.kind === SpanKind.SERVER)
    const send = spans.find((span) => span.kind === SpanKind.PRODUCER)
    const process = spans.find((span) => span.kind === SpanKind.CONSUMER)
    assert.ok(server && send && process)
    assert.equal(server.name, 'summa.v1.CalculatorService/Add')
    assert.equal(server.resource.attributes['service.name'], 'summa-calculator')
    assert.equal(server.attributes['rpc.system'], 'grpc')
    assert.equal(parentId(server), callerSpanId, 'the server span continues the caller')

    assert.equal(send.name, `send ${system.topic}`)
    assert.equal(send.resource.attributes['service.name'], 'summa-relay')
    assert.equal(send.attributes['messaging.system'], 'kafka')
    assert.equal(send.attributes['messaging.message.id'], eventId)
    assert.equal(
      parentId(send),
      server.spanContext().spanId,
      'send is parented on the context stored with the event',
    )

    assert.equal(process.name, `process ${system.topic}`)
    assert.equal(process.resource.attributes['service.name'], 'summa-aggregator')
    assert.equal(process.attributes['messaging.operation.type'], 'process')
    assert.equal(process.attributes['messaging.message.id'], eventId)
    assert.equal(process.attributes['summa.request_id'], requestId)
    assert.equal(process.attributes['summa.outcome'], 'applied')
    assert.equal(parentId(process), send.spanContext().spanId, 'process is parented on the Kafka header')

    // The outbox row holds the server span's context.
    const [row] = await system.db.sql<{ traceparent: string }[]>`
      select traceparent from outbox where message_key = ${requestId}`
    assert.equal(row?.traceparent, `00-${callerTraceId}-${server.spanContext().spanId}-01`)
  })

  it('records nothing and stores the caller traceparent unchanged when tracing is off', async (t) => {
    const system = await createTestSystem(t)
    assert.equal(system.config.SUMMA_OTEL_ENABLED, false)
    const exporter = new InMemorySpanExporter()
    const calculator = await startTestCalculator(t, system.config, { spanExporter: exporter })
    const client = calculatorClient(t, calculator.running.grpcPort)
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const metadata = new grpc.Metadata()
    metadata.set('traceparent', traceparent)
    const requestId = randomUUID()
    await client.add({ requestId, num1: '1', num2: '2', metadata })
    const [row] = await system.db.sql<{ traceparent: string }[]>`
      select traceparent from outbox where message_key = ${requestId}`
    assert.equal(row?.traceparent, traceparent)
    assert.equal(exporter.getFinishedSpans().length, 0)
  })

  it('records no span at sampling ratio 0 and passes the unsampled decision downstream', async (t) => {
    const system = await createTestSystem(t, { SUMMA_OTEL_ENABLED: 'true', SUMMA_OTEL_SAMPLE_RATIO: '0' })
    const exporter = new InMemorySpanExporter()
    const calculator = await startTestCalculator(t, system.config, { spanExporter: exporter })
    await startTestRelay(t, system.config, { spanExporter: exporter })
    const client = calculatorClient(t, calculator.running.grpcPort)
    const requestId = randomUUID()
    await client.add({ requestId, num1: '1', num2: '2' })
    // The relay publishes (and would record its span) before its cursor passes the row.
    await eventually(async () => {
      const [row] = await system.db.sql<{ traceparent: string }[]>`
        select traceparent from outbox where message_key = ${requestId}`
      assert.equal(await isPublished(system.db.sql, requestId), true)
      assert.match(row?.traceparent ?? '', /^00-[\da-f]{32}-[\da-f]{16}-00$/, 'stored as not sampled')
    })
    assert.equal(exporter.getFinishedSpans().length, 0)
  })

  it('puts trace_id and span_id on log lines written inside a span', async (t) => {
    const system = await createTestSystem(t, { SUMMA_OTEL_ENABLED: 'true' })
    const exporter = new InMemorySpanExporter()
    // Starting a traced service installs the context manager the mixin reads.
    await startTestCalculator(t, system.config, { spanExporter: exporter })
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const log = pino({ mixin: traceFields }, sink)
    const { context, trace } = await import('@opentelemetry/api')
    const { TracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace')
    const tracer = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    }).getTracer('test')
    const span = tracer.startSpan('work')
    context.with(trace.setSpan(context.active(), span), () => log.info({ request_id: 'r-1' }, 'inside'))
    log.info('outside')
    span.end()
    const [inside, outside] = lines.map((line) => JSON.parse(line))
    assert.equal(inside.trace_id, span.spanContext().traceId)
    assert.equal(inside.span_id, span.spanContext().spanId)
    assert.equal(inside.request_id, 'r-1')
    assert.equal(outside.trace_id, undefined)
  })
})
