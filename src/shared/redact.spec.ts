import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { createLogger } from './logger.ts'
import { redactSecrets } from './redact.ts'

const password = 'Zq7-distinctive-password'

describe('redactSecrets', () => {
  it('masks the password of any URL and of a key=value connection string, nothing else', () => {
    assert.equal(
      redactSecrets(`connecting to postgres://summa:${password}@db:5432/summa failed`),
      'connecting to postgres://summa:***@db:5432/summa failed',
    )
    assert.equal(redactSecrets(`"postgresql://u:p@ss:${password}@db/x"`), '"postgresql://u:***@db/x"')
    assert.equal(redactSecrets(`host=db password=${password} user=summa`), 'host=db password=*** user=summa')
    assert.equal(redactSecrets(`password='${password} x'`), 'password=***')
    // No password, nothing to mask: a user name alone and plain host:port stay readable.
    for (const text of [
      'postgres://summa@db:5432/summa',
      'connect ECONNREFUSED 127.0.0.1:5432',
      'http://otel:4318',
    ]) {
      assert.equal(redactSecrets(text), text)
    }
  })
})

describe('the logger', () => {
  it('masks secrets in errors and in known fields, at every level', () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const log = createLogger({ level: 'trace', service: 'test' }, sink)
    const url = `postgres://summa:${password}@db:5432/summa`
    const cause = new Error(`could not parse ${url}`)
    log.debug({ err: new Error(`connect to ${url} failed`, { cause }) }, 'failed')
    log.info({ DATABASE_URL: url, options: { password } }, 'config')
    log.error({ err: Object.assign(new AggregateError([cause], ''), { code: 'ECONNREFUSED' }) }, 'all failed')
    const text = lines.join('')
    assert.equal(lines.length, 3)
    assert.ok(!text.includes(password), text)
    assert.match(text, /postgres:\/\/summa:\*\*\*@db:5432\/summa/)
  })
})
