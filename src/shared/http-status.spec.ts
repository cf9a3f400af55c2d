import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCodes, SummaError } from './errors.ts'
import { httpErrorOf } from './http-status.ts'

/** Fastify's errors are plain Errors with a code and a statusCode. */
function fastifyError(code: string, statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode })
}

describe('httpErrorOf', () => {
  it("keeps the status of Fastify's request errors and names them", () => {
    assert.deepEqual(
      httpErrorOf(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large')),
      {
        status: 413,
        code: ErrorCodes.TOO_LARGE,
        message: 'Request body is too large',
      },
    )
    assert.equal(
      httpErrorOf(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'x')).code,
      ErrorCodes.INVALID_ARGUMENT,
    )
    assert.equal(httpErrorOf(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'x')).status, 415)
    assert.equal(
      httpErrorOf(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })).status,
      400,
    )
  })

  it('maps SummaErrors by the table and hides internal details', () => {
    assert.deepEqual(httpErrorOf(new SummaError(ErrorCodes.UNAVAILABLE, 'database down')), {
      status: 503,
      code: ErrorCodes.UNAVAILABLE,
      message: 'database down',
    })
    assert.deepEqual(httpErrorOf(new TypeError('x is undefined')), {
      status: 500,
      code: ErrorCodes.INTERNAL,
      message: 'internal error',
    })
    assert.equal(httpErrorOf(fastifyError('FST_ERR_X', 500, 'internals')).message, 'internal error')
  })
})
