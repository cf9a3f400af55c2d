import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { useZodSchemas } from '../../shared/http/openapi.ts'
import type { Total } from '../db/read-total.ts'
import { registerCompatRoutes } from './compat-routes.ts'
import { registerTotalRoutes } from './total-routes.ts'

function appWithTotal(total: string) {
  // The routes declare zod schemas, as on every summa server (createHttpServer).
  const app = useZodSchemas(Fastify())
  const read = async (): Promise<Total> => ({
    total,
    appliedEvents: '3',
    duplicateEvents: '0',
    poisonEvents: '0',
    lastAppliedAt: null,
  })
  registerTotalRoutes(app, read)
  registerCompatRoutes(app, read)
  return app
}

describe('the seeds’ REST shapes', () => {
  it('writes every digit of a total past 2^53 into /summation, and the bare integer elsewhere', async (t) => {
    const beyond = (2n ** 53n + 1n).toString() // 9007199254740993: no double holds it
    const app = appWithTotal(beyond)
    t.after(() => app.close())
    const summation = await app.inject('/summation')
    assert.equal(summation.body, `{"Status":"Success","data":${beyond}}`)
    // A double-based parser rounds it; the digits on the wire are exact.
    assert.equal(JSON.parse(summation.body).data, 2 ** 53)
    assert.equal((await app.inject('/api/final')).body, beyond)
    const plain = await app.inject({ url: '/total', headers: { accept: 'text/plain' } })
    assert.equal(plain.body, beyond)
    assert.equal(plain.headers.vary, 'accept')
  })

  it('writes a negative total as a negative number', async (t) => {
    const app = appWithTotal('-42')
    t.after(() => app.close())
    assert.deepEqual(JSON.parse((await app.inject('/summation')).body), { Status: 'Success', data: -42 })
    assert.equal((await app.inject('/api/final')).body, '-42')
  })

  it('keeps JSON for /total unless text/plain is asked for ahead of JSON', async (t) => {
    const app = appWithTotal('7')
    t.after(() => app.close())
    for (const [accept, type] of [
      [undefined, 'application/json'],
      ['*/*', 'application/json'],
      ['text/*', 'application/json'],
      ['text/plain;q=0.5, application/json', 'application/json'],
      ['text/plain, */*', 'text/plain'],
      ['text/plain', 'text/plain'],
    ] as const) {
      const response = await app.inject({ url: '/total', headers: accept === undefined ? {} : { accept } })
      assert.equal(response.headers['content-type']?.toString().split(';')[0], type, String(accept))
    }
  })
})
