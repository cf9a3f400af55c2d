import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { ErrorCodes, SummaError } from '../errors.ts'
import { databaseConnection } from './database-tls.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'summa-db-tls-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string): string => {
  const at = path.join(dir, name)
  writeFileSync(at, `${name} bytes`)
  return at
}
const base = 'postgres://summa@db.example:5432/summa'

describe('databaseConnection', () => {
  it('keeps plaintext when nothing asks for TLS, as before', () => {
    assert.deepEqual(databaseConnection(base), { url: base, ssl: false })
    assert.equal(databaseConnection(`${base}?sslmode=disable`).ssl, false)
  })

  it("maps allow and prefer to postgres.js's prefer, require to unverified TLS", () => {
    assert.equal(databaseConnection(`${base}?sslmode=allow`).ssl, 'prefer')
    assert.equal(databaseConnection(`${base}?sslmode=prefer`).ssl, 'prefer')
    assert.deepEqual(databaseConnection(`${base}?sslmode=require`).ssl, { rejectUnauthorized: false })
  })

  it('checks the chain for verify-ca and the chain and name for verify-full', () => {
    const caFile = file('ca.crt')
    const ca = databaseConnection(`${base}?sslmode=verify-ca`, { caFile }).ssl
    assert.ok(typeof ca === 'object' && ca !== null)
    assert.equal(ca.rejectUnauthorized, true)
    assert.equal(String(ca.ca), 'ca.crt bytes')
    assert.equal(ca.checkServerIdentity?.('db.example', {} as never), undefined)
    const full = databaseConnection(`${base}?sslmode=verify-full`, { caFile }).ssl
    assert.ok(typeof full === 'object' && full !== null)
    assert.equal(full.rejectUnauthorized, true)
    assert.equal(full.checkServerIdentity, undefined)
  })

  it('verifies when a CA is given: verify-full without sslmode, verify-ca with require (as libpq)', () => {
    const caFile = file('ca.crt')
    const implicit = databaseConnection(base, { caFile }).ssl
    assert.ok(typeof implicit === 'object' && implicit.rejectUnauthorized === true)
    assert.equal(implicit.checkServerIdentity, undefined)
    const required = databaseConnection(`${base}?sslmode=require`, { caFile }).ssl
    assert.ok(typeof required === 'object' && required.rejectUnauthorized === true)
    assert.notEqual(required.checkServerIdentity, undefined)
  })

  it("reads libpq's sslrootcert, sslcert and sslkey from the URL and does not pass them on as settings", () => {
    const url = `${base}?sslmode=verify-full&sslrootcert=${file('root.crt')}&sslcert=${file('me.crt')}&sslkey=${file('me.key')}&application_name=x`
    const connection = databaseConnection(url)
    assert.equal(connection.url, `${base}?application_name=x`)
    assert.ok(typeof connection.ssl === 'object')
    assert.equal(String(connection.ssl.ca), 'root.crt bytes')
    assert.equal(String(connection.ssl.cert), 'me.crt bytes')
    assert.equal(String(connection.ssl.key), 'me.key bytes')
    // The settings win over the URL.
    const overridden = databaseConnection(url, { caFile: file('other.crt') }).ssl
    assert.ok(typeof overridden === 'object')
    assert.equal(String(overridden.ca), 'other.crt bytes')
  })

  it("takes sslrootcert=system as libpq does: the system's CAs and verify-full", () => {
    const ssl = databaseConnection(`${base}?sslrootcert=system`).ssl
    assert.deepEqual(ssl, { rejectUnauthorized: true })
  })

  it('refuses an sslmode libpq does not know', () => {
    assert.throws(
      () => databaseConnection(`${base}?sslmode=on`),
      (error: unknown) =>
        error instanceof SummaError &&
        error.code === ErrorCodes.INVALID_CONFIG &&
        error.message.includes('sslmode'),
    )
  })
})
