import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import { parseAddInput } from './add-input.ts'

const id = '0f8fad5b-d9cb-469f-a165-70867728950e'

function rejection(raw: Parameters<typeof parseAddInput>[0]): SummaError {
  try {
    parseAddInput(raw)
  } catch (error) {
    assert.ok(error instanceof SummaError)
    return error
  }
  assert.fail('expected a rejection')
}

describe('parseAddInput', () => {
  it('adds exactly at the int64 edges', () => {
    const max = (2n ** 63n - 1n).toString()
    const min = (-(2n ** 63n)).toString()
    assert.equal(parseAddInput({ requestId: id, num1: max, num2: '0' }).sum, 2n ** 63n - 1n)
    assert.equal(parseAddInput({ requestId: id, num1: min, num2: max }).sum, -1n)
    assert.equal(parseAddInput({ requestId: id, num1: '-5', num2: '7' }).sum, 2n)
  })

  it('rejects a sum outside int64 as OUT_OF_RANGE instead of wrapping', () => {
    const error = rejection({ requestId: id, num1: (2n ** 63n - 1n).toString(), num2: '1' })
    assert.equal(error.code, ErrorCodes.OUT_OF_RANGE)
    const low = rejection({ requestId: id, num1: (-(2n ** 63n)).toString(), num2: '-1' })
    assert.equal(low.code, ErrorCodes.OUT_OF_RANGE)
  })

  it('names the field of every invalid argument', () => {
    for (const [raw, field] of [
      [{ num1: '1', num2: '2' }, 'request_id'],
      [{ requestId: '', num1: '1', num2: '2' }, 'request_id'],
      [{ requestId: 'not-a-uuid', num1: '1', num2: '2' }, 'request_id'],
      [{ requestId: `${id}x`, num1: '1', num2: '2' }, 'request_id'],
      [{ requestId: id, num1: '1.5', num2: '2' }, 'num1'],
      [{ requestId: id, num1: '1', num2: '9223372036854775808' }, 'num2'],
      [{ requestId: id, num1: '1', num2: 'NaN' }, 'num2'],
    ] as const) {
      const error = rejection(raw)
      assert.equal(error.code, ErrorCodes.INVALID_ARGUMENT, JSON.stringify(raw))
      assert.equal(error.field, field, JSON.stringify(raw))
      assert.match(error.message, new RegExp(field))
    }
  })

  it('normalises the request id to lower case, as PostgreSQL stores it', () => {
    assert.equal(parseAddInput({ requestId: id.toUpperCase(), num1: '1', num2: '2' }).requestId, id)
  })

  it('refuses a sum outside int32 for the seed-compatible APIs, naming the limit', () => {
    const compat = { requestIdFrom: 'idempotency-key metadata', sumType: 'int32' } as const
    assert.equal(parseAddInput({ requestId: id, num1: 2147483646, num2: 1, compat }).sum, 2n ** 31n - 1n)
    assert.equal(parseAddInput({ requestId: id, num1: -2147483648, num2: 0, compat }).sum, -(2n ** 31n))
    for (const [num1, num2] of [
      [2147483647, 1],
      [-2147483648, -1],
    ] as const) {
      const error = rejection({ requestId: id, num1, num2, compat })
      assert.equal(error.code, ErrorCodes.OUT_OF_RANGE)
      assert.match(error.message, /int32 \(-2147483648 to 2147483647\)/)
    }
  })

  it('names the header a seed-compatible request id came from', () => {
    const compat = { requestIdFrom: 'idempotency-key metadata', sumType: 'int32' } as const
    for (const requestId of ['', 'not-a-uuid']) {
      const error = rejection({ requestId, num1: 1, num2: 2, compat })
      assert.equal(error.code, ErrorCodes.INVALID_ARGUMENT)
      assert.equal(error.field, 'request_id')
      assert.match(error.message, /^idempotency-key metadata must be a UUID/)
    }
  })
})
