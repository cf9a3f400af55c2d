import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from './logger.ts'
import { whenPostgresAnswers } from './when-postgres-answers.ts'

const log = createLogger({ level: 'silent', service: 'test' })
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })

describe('whenPostgresAnswers', () => {
  it('retries while PostgreSQL is unreachable, then returns what the step returned', async () => {
    let calls = 0
    const result = await whenPostgresAnswers(
      'test',
      async () => {
        if (++calls < 3) throw refused()
        return 'done'
      },
      new AbortController().signal,
      log,
    )
    assert.deepEqual([result, calls], ['done', 3])
  })

  it('throws an error that retrying cannot fix', async () => {
    const missing = Object.assign(new Error('relation "outbox" does not exist'), { code: '42P01' })
    await assert.rejects(
      whenPostgresAnswers(
        'test',
        async () => {
          throw missing
        },
        new AbortController().signal,
        log,
      ),
      missing,
    )
  })

  it('gives up quietly when shutdown begins', async () => {
    const stop = new AbortController()
    const result = await whenPostgresAnswers(
      'test',
      async () => {
        stop.abort()
        throw refused()
      },
      stop.signal,
      log,
    )
    assert.equal(result, undefined)
  })
})
