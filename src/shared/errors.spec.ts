import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { status } from '@grpc/grpc-js'
import { ErrorCodes, SummaError } from './errors.ts'
import { grpcStatusByCode, toGrpcError } from './grpc-status.ts'
import { httpStatusByCode } from './http-status.ts'

describe('SummaError', () => {
  it('has codes named after themselves, each mapped once per transport', () => {
    for (const [name, code] of Object.entries(ErrorCodes)) {
      assert.equal(name, code)
      assert.ok(grpcStatusByCode[code] !== undefined, code)
      assert.ok(httpStatusByCode[code] !== undefined, code)
    }
  })

  it('turns lost connections into retriable UNAVAILABLE and hides internal details', () => {
    const refused = SummaError.from(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    )
    assert.equal(refused.code, ErrorCodes.UNAVAILABLE)
    assert.ok(refused.canRetry)
    const bug = toGrpcError(new TypeError('x is undefined'))
    assert.equal(bug.code, status.INTERNAL)
    assert.equal(bug.details, 'internal error')
  })
})
