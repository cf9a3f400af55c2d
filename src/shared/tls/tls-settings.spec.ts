import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { loadConfig } from '../config.ts'
import { ErrorCodes, SummaError } from '../errors.ts'
import { kafkaConnectionOf } from '../kafka.ts'
import { clientTlsOf } from './tls-settings.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'summa-tls-settings-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string): string => {
  const at = path.join(dir, name)
  writeFileSync(at, `${name} bytes`)
  return at
}

describe('TLS settings', () => {
  it('are off by default: plaintext everywhere, as make up runs', () => {
    const config = loadConfig({})
    assert.equal(config.SUMMA_TLS_CERT_FILE, undefined)
    assert.equal(clientTlsOf(config), undefined)
    assert.deepEqual(kafkaConnectionOf(config), {})
  })

  it('refuse a certificate without its key, a key without its certificate, and mTLS without TLS', () => {
    for (const [set, missing] of [
      ['SUMMA_TLS_CERT_FILE', 'SUMMA_TLS_KEY_FILE'],
      ['SUMMA_TLS_KEY_FILE', 'SUMMA_TLS_CERT_FILE'],
      ['SUMMA_TLS_CLIENT_CERT_FILE', 'SUMMA_TLS_CLIENT_KEY_FILE'],
      ['SUMMA_DATABASE_KEY_FILE', 'SUMMA_DATABASE_CERT_FILE'],
      ['KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE'],
      ['SUMMA_TLS_CLIENT_CA_FILE', 'SUMMA_TLS_CERT_FILE'],
    ] as const) {
      assert.throws(
        () => loadConfig({ [set]: '/some/file' }),
        (error: unknown) =>
          error instanceof SummaError &&
          error.code === ErrorCodes.INVALID_CONFIG &&
          error.field === missing &&
          error.message.includes(set),
        set,
      )
    }
  })

  it('give the Kafka clients TLS with the CA and client pair, checking the broker', () => {
    const config = loadConfig({
      KAFKA_TLS_CA_FILE: file('kafka-ca.crt'),
      KAFKA_TLS_CERT_FILE: file('kafka.crt'),
      KAFKA_TLS_KEY_FILE: file('kafka.key'),
    })
    const { tls } = kafkaConnectionOf(config)
    assert.ok(tls !== undefined)
    assert.equal(String(tls.ca), 'kafka-ca.crt bytes')
    assert.equal(String(tls.cert), 'kafka.crt bytes')
    assert.equal(String(tls.key), 'kafka.key bytes')
    assert.equal(tls.rejectUnauthorized, true)
    assert.deepEqual(kafkaConnectionOf(loadConfig({ KAFKA_TLS: 'true' })), {
      tls: { rejectUnauthorized: true },
    })
  })

  it("make summa's own clients use TLS when the ports are TLS or a CA is given", () => {
    const cert = file('server.crt')
    assert.deepEqual(clientTlsOf(loadConfig({ SUMMA_TLS_CERT_FILE: cert, SUMMA_TLS_KEY_FILE: cert })), {})
    const withCa = clientTlsOf(
      loadConfig({
        SUMMA_TLS_CA_FILE: file('ca.crt'),
        SUMMA_TLS_CLIENT_CERT_FILE: file('client.crt'),
        SUMMA_TLS_CLIENT_KEY_FILE: file('client.key'),
      }),
    )
    assert.equal(String(withCa?.ca), 'ca.crt bytes')
    assert.equal(String(withCa?.cert), 'client.crt bytes')
    assert.equal(String(withCa?.key), 'client.key bytes')
  })
})
