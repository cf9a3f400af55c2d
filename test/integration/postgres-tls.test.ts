import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { migrateCommand } from '../../src/cli/migrate-command.ts'
import { loadConfig } from '../../src/shared/config.ts'
import { createSql } from '../../src/shared/db.ts'
import type { DatabaseTlsFiles } from '../../src/shared/tls/database-tls.ts'
import { PostgresCluster } from '../faults/postgres-cluster.ts'
import { defer } from '../helpers/cleanup.ts'
import { testEventKeyEnv } from '../helpers/event-keys.ts'
import { freePort } from '../helpers/ports.ts'
import { calculatorClient, startTestCalculator } from '../helpers/system.ts'
import { createTestCertificates } from '../helpers/tls-certificates.ts'

/**
 * A PostgreSQL cluster of the test's own that takes TLS connections only, and
 * only with a client certificate its CA signed for the user (`cert` auth):
 * the shared server on 5432 is never reconfigured.
 */
async function tlsOnlyCluster(t: TestContext) {
  const port = await freePort()
  const cluster = new PostgresCluster(port)
  defer(t, () => cluster.destroy())
  const { client: files } = await cluster.requireClientCertificates()
  await cluster.init()
  return { cluster, files }
}

async function firstRow(url: string, tls?: DatabaseTlsFiles) {
  const sql = createSql({
    url,
    poolSize: 1,
    applicationName: 'summa-tls-test',
    connectTimeoutS: 5,
    ...(tls ? { tls } : {}),
  })
  try {
    const [row] = await sql<{ ssl: boolean }[]>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`
    return row
  } finally {
    await sql.end({ timeout: 1 })
  }
}

describe('PostgreSQL over TLS', () => {
  it('connects with sslmode and the CA/certificate/key settings, and a server that wants TLS refuses plaintext', async (t) => {
    const { cluster, files } = await tlsOnlyCluster(t)
    const admin = cluster.adminUrl

    await assert.rejects(firstRow(`${admin}?sslmode=disable`), /no encryption/)
    // TLS but no client certificate: the server's cert auth refuses.
    await assert.rejects(firstRow(`${admin}?sslmode=require`), /certificate/)
    // A CA that did not sign the server's certificate: refused by summa's side.
    const foreignDir = await mkdtemp(path.join(tmpdir(), 'summa-foreign-ca-'))
    defer(t, () => rm(foreignDir, { recursive: true, force: true }))
    await createTestCertificates(foreignDir)
    await assert.rejects(
      firstRow(`${admin}?sslmode=verify-full`, { ...files, caFile: path.join(foreignDir, 'ca.crt') }),
      /self-signed|unable to verify|certificate/i,
    )
    assert.deepEqual(await firstRow(`${admin}?sslmode=verify-full`, files), { ssl: true })
    assert.deepEqual(await firstRow(`${admin}?sslmode=verify-ca`, files), { ssl: true })
    // libpq's own URL parameters work too.
    const libpq = `${admin}?sslmode=verify-full&sslrootcert=${files.caFile}&sslcert=${files.certFile}&sslkey=${files.keyFile}`
    assert.deepEqual(await firstRow(libpq), { ssl: true })

    // The calculator, migrated and run on it: every connection it holds is TLS.
    const config = loadConfig({
      DATABASE_URL: `${cluster.url}?sslmode=verify-full`,
      SUMMA_DATABASE_CA_FILE: files.caFile,
      SUMMA_DATABASE_CERT_FILE: files.certFile,
      SUMMA_DATABASE_KEY_FILE: files.keyFile,
      SUMMA_GRPC_PORT: '0',
      SUMMA_CALCULATOR_HTTP_PORT: '0',
      SUMMA_LOG_LEVEL: process.env.SUMMA_TEST_LOG_LEVEL ?? 'silent',
      ...testEventKeyEnv,
    })
    const lines: string[] = []
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) }
    assert.equal(await migrateCommand(config, io, { topics: false }), 0, lines.join('\n'))
    const calculator = await startTestCalculator(t, config)
    const answer = await calculatorClient(t, calculator.running.grpcPort).add({
      requestId: randomUUID(),
      num1: '20',
      num2: '22',
    })
    assert.equal(answer.sum, '42')
    const probe = createSql({
      url: config.DATABASE_URL,
      poolSize: 1,
      applicationName: 'summa-tls-probe',
      tls: files,
    })
    defer(t, () => probe.end({ timeout: 1 }))
    const [held] = await probe<{ connections: number; plaintext: number }[]>`
      select count(*)::int as connections, count(*) filter (where not s.ssl)::int as plaintext
      from pg_stat_activity a join pg_stat_ssl s using (pid)
      where a.application_name = 'summa-calculator'`
    assert.ok(held !== undefined && held.connections > 0)
    assert.equal(held.plaintext, 0)
  })
})
