import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { briefly, retryCause } from './retry-log.ts'

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })

describe('retry log fields', () => {
  it('describes an error by code and message, without its stack', () => {
    assert.deepEqual(briefly(refused()), {
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:5432',
    })
    assert.deepEqual(briefly('text'), { message: 'text' })
  })

  it('logs the whole error on the first attempt and only its code and message after', () => {
    const error = refused()
    assert.deepEqual(retryCause(1, error), { err: error })
    assert.deepEqual(retryCause(2, error), {
      cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
    })
  })
})
