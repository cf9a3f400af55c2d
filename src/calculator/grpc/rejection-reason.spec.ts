import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCodes, SummaError } from '../../shared/errors.ts'
import { rejectionReason } from './rejection-reason.ts'

describe('rejectionReason', () => {
  it('names the input fault from a fixed list, and nothing for server-side failures', () => {
    const error = (code: keyof typeof ErrorCodes, field?: string) =>
      new SummaError(ErrorCodes[code], 'x', field === undefined ? {} : { field })
    assert.equal(rejectionReason(error('INVALID_ARGUMENT', 'request_id')), 'invalid_request_id')
    assert.equal(rejectionReason(error('INVALID_ARGUMENT', 'num2')), 'invalid_number')
    assert.equal(rejectionReason(error('OUT_OF_RANGE')), 'sum_out_of_range')
    assert.equal(rejectionReason(error('ALREADY_EXISTS')), 'request_id_reused')
    assert.equal(rejectionReason(error('UNAVAILABLE')), undefined)
    assert.equal(rejectionReason(new Error('boom')), undefined)
  })
})
