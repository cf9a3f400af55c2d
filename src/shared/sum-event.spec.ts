import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCodes, SummaError } from './errors.ts'
import { decodeSumEvent, encodeSumEvent, type SumEvent } from './sum-event.ts'

const event: SumEvent = {
  v: 1,
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
