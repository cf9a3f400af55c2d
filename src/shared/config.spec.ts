import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { configKeys, loadConfig } from './config.ts'
import { ErrorCodes, SummaError } from './errors.ts'

describe('loadConfig', () => {
  it('has documented defaults for an empty environment', () => {
    const config = loadConfig({})
    assert.equal(config.SUMMA_GRPC_PORT, 9090)
    assert.equal(config.SUMMA_HTTP_PORT, 8080)
    assert.equal(config.KAFKA_BOOTSTRAP_SERVERS, '127.0.0.1:9092')
    assert.equal(config.SUMMA_TOPIC_PARTITIONS, 6)
    assert.ok(config.SUMMA_IDEMPOTENCY_RETENTION_HOURS >= 24)
    assert.ok(Object.isFrozen(config))
  })

  it("keeps the seeds' ports off by default, on their own port numbers when switched on", () => {
    const config = loadConfig({})
    assert.equal(config.SUMMA_COMPAT_PORTS, false)
    // Seed 000's gRPC port, seed 003's gRPC and HTTP ports (seed 001's are summa's 9090 and 8080).
    assert.deepEqual(config.SUMMA_COMPAT_GRPC_PORTS, [9091, 4000])
    assert.equal(config.SUMMA_COMPAT_HTTP_PORT, 3000)
    const moved = loadConfig({ SUMMA_COMPAT_PORTS: 'true', SUMMA_COMPAT_GRPC_PORTS: '0,28401' })
    assert.equal(moved.SUMMA_COMPAT_PORTS, true)
    assert.deepEqual(moved.SUMMA_COMPAT_GRPC_PORTS, [0, 28401])
  })

  it('stops with a message that names the invalid variable', () => {
    for (const [name, value] of [
      ['SUMMA_GRPC_PORT', 'ninety'],
      ['SUMMA_HTTP_PORT', '70000'],
      ['DATABASE_URL', 'mysql://x'],
      ['KAFKA_BOOTSTRAP_SERVERS', 'localhost'],
      ['SUMMA_TOPIC_PARTITIONS', '0'],
      ['SUMMA_LOG_LEVEL', 'loud'],
      ['SUMMA_COMPAT_PORTS', 'yes'],
      ['SUMMA_COMPAT_GRPC_PORTS', '9091;4000'],
      ['SUMMA_COMPAT_GRPC_PORTS', '9091,70000'],
      ['SUMMA_GRPC_MAX_CONNECTIONS', '0'],
      ['SUMMA_HANDSHAKE_TIMEOUT_MS', '5s'],
      ['SUMMA_SSE_MAX_CLIENTS', '-1'],
    ]) {
      assert.throws(
        () => loadConfig({ [name!]: value }),
        (error: unknown) =>
          error instanceof SummaError &&
          error.code === ErrorCodes.INVALID_CONFIG &&
          error.message.includes(name!),
        name,
      )
    }
  })

  it('names an invalid setting that may hold a password, but never shows its value', () => {
    const password = 'Zq7-distinctive-password'
    for (const [name, value] of [
      ['DATABASE_URL', `postgress://summa:${password}@db:5432/summa`],
      ['DATABASE_URL', `summa:${password}@db/summa`],
      ['SUMMA_OTEL_EXPORTER_URL', `ftp://collector:${password}@otel:4318`],
    ] as const) {
      assert.throws(
        () => loadConfig({ [name]: value, SUMMA_GRPC_PORT: 'ninety' }),
        (error: unknown) =>
          error instanceof SummaError &&
          error.message.includes(`${name}: must be`) &&
          error.message.includes('SUMMA_GRPC_PORT="ninety"') &&
          !error.message.includes(password),
      )
    }
  })

  it('is documented in the README, every variable', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const missing = configKeys.filter((key) => !readme.includes(`\`${key}\``))
    assert.deepEqual(missing, [])
  })
})
