import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { spanKinds, spanStatusError } from './tracing.ts'

test("the span kinds and error status summa sets are the OpenTelemetry API's values", () => {
  assert.deepEqual(spanKinds, {
    server: SpanKind.SERVER,
    producer: SpanKind.PRODUCER,
    consumer: SpanKind.CONSUMER,
  })
  assert.equal(spanStatusError, SpanStatusCode.ERROR)
})
