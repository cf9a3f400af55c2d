import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCodes, SummaError } from './errors.ts'
import { decodeSumEvent, encodeSumEvent, type SumEvent } from './sum-event.ts'

const event: SumEvent = {
  v: 1,
  eventId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
  requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  num1: '9223372036854775806',
  num2: '1',
  sum: '9223372036854775807',
  acceptedAt: '2026-11-22T10:00:00.000Z',
}

describe('sum events', () => {
  it('round-trips exactly, int64 included', () => {
    assert.deepEqual(decodeSumEvent(Buffer.from(encodeSumEvent(event))), event)
  })

  it('accepts every id the calculator accepts, not only RFC 9562 UUIDs', () => {
    const ids = {
      eventId: '00000000-0000-0000-0000-000000000001',
      requestId: '12345678-1234-1234-1234-123456789ABC',
    }
    assert.deepEqual(decodeSumEvent(encodeSumEvent({ ...event, ...ids })), { ...event, ...ids })
  })

  it('treats anything else as poison', () => {
    const poison = [
      undefined,
      'not json',
      '{}',
      JSON.stringify({ ...event, v: 2 }),
      JSON.stringify({ ...event, sum: '5' }),
      JSON.stringify({ ...event, num1: 1 }),
      JSON.stringify({ ...event, requestId: 'x' }),
      JSON.stringify({ ...event, num1: '9223372036854775808' }),
      JSON.stringify({ ...event, eventId: undefined }),
      JSON.stringify({ ...event, acceptedAt: '0000-01-01T00:00:00Z' }),
    ]
    for (const value of poison) {
      assert.throws(
        () => decodeSumEvent(value),
        (error: unknown) => error instanceof SummaError && error.code === ErrorCodes.POISON_EVENT,
        String(value),
      )
    }
  })
})
