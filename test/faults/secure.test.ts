import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import https from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { createApiKey } from '../../src/shared/auth/api-keys.ts'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { createSql } from '../../src/shared/db.ts'
import { createAdmin } from '../../src/shared/kafka.ts'
import { verify } from '../../src/verify/verify.ts'
import { bearer, metadataOf } from '../helpers/auth.ts'
import { eventually } from '../helpers/eventually.ts'
import { plaintextGet } from '../helpers/tls-clients.ts'
import { assertVerified } from './assert-verified.ts'
import { TrafficDriver } from './driver.ts'
import { type FaultDependencies, startFaultDependencies } from './fault-dependencies.ts'
import { type FaultContext, kill9, type Scenario, scenarios } from './scenarios.ts'
import { type ServiceName, type SystemUnderTest, startSystem, waitUntilHealthy } from './system-under-test.ts'

/**
 * The fault suite with authentication and TLS on everywhere: every port of every service serves
 * TLS only (a throwaway CA) and wants an API key; the broker takes only SCRAM-SHA-512 users over
 * SASL_SSL, with ACLs, and each process has its own user; PostgreSQL takes only TLS connections
 * with a client certificate; events are signed. Under traffic from a driver that presents an
 * add+read key, the calculator, the relay and the aggregator are each killed with SIGKILL twice,
 * then the broker, then PostgreSQL crashes; after every fault an Add without the key must be
 * refused UNAUTHENTICATED and one in plaintext refused at the handshake, neither recorded. Then
 * the verifier: 0 lost, 0 duplicated, 0 phantom, and the total that /total serves to the key is
 * the one the ledger implies. Its own broker and PostgreSQL cluster on SUMMA_TEST_FAULTS_PORT
 * + 40…+42.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const basePort = Number(process.env.SUMMA_TEST_FAULTS_PORT ?? 19400) + 40
const bootstrap = `127.0.0.1:${basePort}`
const rate = Number(process.env.SUMMA_FAULTS_RATE ?? 100)
const trafficAfterMs = Number(process.env.SUMMA_FAULTS_TRAFFIC_AFTER_MS ?? 3000)
const resultsDir = path.join(root, '.test-data', 'faults-secure')

describe('fault injection with authentication and TLS on', { concurrency: 1 }, () => {
  let dir: string
  let dependencies: FaultDependencies | undefined

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'summa-faults-secure-'))
    await rm(resultsDir, { recursive: true, force: true })
    await mkdir(resultsDir, { recursive: true })
    dependencies = await startFaultDependencies(basePort, dir, path.join(resultsDir, 'kafka-broker.log'), {
      tls: true,
    })
  })

  after(async () => {
    await dependencies?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('kill -9 of calculator, relay, aggregator and broker, PostgreSQL crash: nothing lost, duplicated or phantom', {
    timeout: 360_000,
  }, async () => {
    const { postgres, broker, envOf } = dependencies!
    const tls = dependencies!.tls!
    const topic = 'summa-faults-secure'
    const databaseUrl = dependencies!.databaseUrl('summa_faults_secure')
    const driverKey = createApiKey('fault-driver', ['add', 'read'])
    const system = await startSystem({
      databaseUrl,
      bootstrap,
      topic,
      dir: resultsDir,
      tls: { certFile: tls.certFile, keyFile: tls.keyFile, ca: tls.ca },
      env: { SUMMA_API_KEYS: driverKey.entry },
      envOf,
    })
    const ledgerFile = path.join(resultsDir, 'ledger.jsonl')
    const credentials = grpc.credentials.createSsl(tls.ca)
    const driver = new TrafficDriver({
      address: system.grpcAddress,
      ledgerFile,
      ratePerSecond: rate,
      credentials,
      metadata: metadataOf(bearer(driverKey.key)),
    })
    const noKey = new CalculatorClient(system.grpcAddress, {}, credentials)
    const plaintext = new CalculatorClient(system.grpcAddress)
    const sql = createSql({
      url: databaseUrl,
      poolSize: 2,
      applicationName: 'summa-faults-secure',
      tls: tls.database,
    })
    const notes: Record<string, number> = {}
    const refused: string[] = []
    const context: FaultContext = { system, broker, postgres, note: () => {} }
    const started = Date.now()
    try {
      await waitUntilHealthy(system, 60_000)
      await assert.rejects(plaintextGet(system.healthPorts.calculator, '/health'), 'no plaintext /health')
      driver.start()
      await eventually(
        () => assert.ok(driver.stats.ok >= rate, 'traffic flows over TLS with the key'),
        30_000,
      )
      await assertAnonymousBrokerRefused(dependencies!)
      let healedAt = 0
      const faults: Array<[string, Scenario]> = [
        ...(['calculator', 'relay', 'aggregator'] as const satisfies ServiceName[]).map(
          (service) => [service, kill9(service, 2)] as [string, Scenario],
        ),
        ['broker', scenarios.find((scenario) => scenario.name === 'restart Kafka broker')!],
        ['postgres', postgresCrash],
      ]
      for (const [name, fault] of faults) {
        healedAt = await fault.inject(context)
        const firstOk = await eventually(() => {
          const ok = driver.firstOkAfter(healedAt)
          assert.ok(ok !== undefined, `an Add succeeds again after ${fault.name}`)
          return ok
        }, 90_000)
        notes[`${name}FirstOkAfterMs`] = firstOk.at - healedAt
        refused.push(...(await assertRefused(noKey, plaintext)))
      }
      // Every connection summa's processes hold to the database is encrypted (hostnossl is refused).
      const [connections] = await sql<{ all: number; encrypted: number }[]>`
        select count(*)::int as all, count(*) filter (where s.ssl)::int as encrypted
        from pg_stat_activity a join pg_stat_ssl s using (pid)
        where a.datname = current_database() and a.application_name like 'summa-%'`
      assert.ok(
        connections!.all > 0 && connections!.encrypted === connections!.all,
        JSON.stringify(connections),
      )
      // End to end again after the last fault: an Add made after it has reached the total.
      const last = driver.firstOkAfter(healedAt)!
      await eventually(
        async () => {
          const [row] = await sql`select 1 from applied_events where request_id = ${last.requestId}`
          assert.ok(row !== undefined, 'the first Add after the last fault is applied')
        },
        90_000,
        20,
      )
      await driver.moreOk((rate * trafficAfterMs) / 1000)
      const sent = await driver.stop()
      const report = await verify({
        sql,
        topic,
        ledgerFile,
        auditFile: path.join(system.dataDir, 'audit.jsonl'),
        settleMs: 90_000,
      })
      const served = await totalOverTls(system, driverKey.key)
      const row = {
        scenario:
          'kill -9 calculator, relay, aggregator (2× each) and broker, PostgreSQL crash; API keys, TLS, SASL_SSL broker with ACLs, PostgreSQL over TLS',
        requests: report.requests,
        attempts: report.attempts,
        duplicateSends: report.duplicateSends,
        acknowledged: report.acknowledged,
        unknownCommitted: report.unknownCommitted,
        rejected: report.rejected,
        lost: report.lost,
        duplicated: report.duplicated,
        phantom: report.phantom,
        total: report.total,
        servedTotal: served.total,
        refusedAdds: refused.length,
        unresolvedRequests: sent.unresolved,
        restarts: Object.fromEntries(
          Object.entries(system.services).map(([name, service]) => [name, service.restarts]),
        ),
        durationMs: Date.now() - started,
        notes,
      }
      await writeFile(path.join(resultsDir, 'verify.json'), `${JSON.stringify(report, null, 2)}\n`)
      await writeFile(path.join(resultsDir, 'results.json'), `${JSON.stringify(row, null, 2)}\n`)
      process.stdout.write(`\n${JSON.stringify(row, null, 2)}\n`)
      assertVerified(report)
      assert.equal(report.rejected, 0, "no send of the driver's was refused: each carried the key over TLS")
      assert.equal(served.status, 200, 'the key reads /total over TLS')
      assert.equal(served.total, report.expectedTotal, '/total is the total the ledger implies')
      assert.ok(report.duplicateSends / report.attempts >= 0.1, `duplicate sends: ${report.duplicateSends}`)
      // Refused calls never reached Add: none of their request ids was recorded.
      const [recorded] = await sql<{ n: number }[]>`
        select count(*)::int as n from add_requests where request_id = any(${refused}::uuid[])`
      assert.equal(recorded!.n, 0, 'a refused Add is not recorded')
    } finally {
      await driver.stop().catch(() => {})
      noKey.close()
      plaintext.close()
      await sql.end({ timeout: 5 })
      await system.stop()
    }
  })
})

/** PostgreSQL crashed (no checkpoint) under traffic, down 3 s, then started on the same data. */
const postgresCrash: Scenario = {
  name: 'PostgreSQL crash',
  faults: 'pg_ctl stop -m immediate under traffic, down 3 s, then started',
  inject: async ({ postgres }) => {
    await postgres.stop('immediate')
    await delay(3000)
    await postgres.start()
    return Date.now()
  },
}

/**
 * A client without a user is refused by the broker: over TLS but without SASL, and with a user the
 * broker does not have. (Its admin, with the same TLS settings, gets in: FaultDependencies waited
 * for that.)
 */
async function assertAnonymousBrokerRefused(dependencies: FaultDependencies): Promise<void> {
  const tls = dependencies.kafka.tls
  const attempts = [
    tls === undefined ? {} : { tls },
    {
      ...(tls === undefined ? {} : { tls }),
      sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'summa-admin', password: 'not-the-password' },
    },
  ]
  for (const connection of attempts) {
    const admin = createAdmin([dependencies.bootstrap], 'summa-faults-anonymous', connection)
    try {
      await assert.rejects(admin.listTopics(), 'a client without a valid user is refused')
    } finally {
      await admin.close().catch(() => {})
    }
  }
}

/**
 * An Add over TLS without a key (UNAUTHENTICATED) and one with no TLS at all
 * (refused at the handshake: UNAVAILABLE), each retried while the calculator
 * may still be coming back; returns their request ids.
 */
async function assertRefused(noKey: CalculatorClient, plaintext: CalculatorClient): Promise<string[]> {
  const codeOf = async (client: CalculatorClient, requestId: string) => {
    try {
      await client.add({ requestId, num1: '1', num2: '2', deadlineMs: 2000 })
      return grpc.status.OK
    } catch (error) {
      return (error as { code?: grpc.status }).code ?? grpc.status.UNKNOWN
    }
  }
  const ids = [randomUUID(), randomUUID()]
  await eventually(
    async () => assert.equal(await codeOf(noKey, ids[0]!), grpc.status.UNAUTHENTICATED),
    30_000,
  )
  assert.equal(await codeOf(plaintext, ids[1]!), grpc.status.UNAVAILABLE, 'a plaintext Add is refused')
  return ids
}

/** GET /total over TLS with the key: its status and the total it serves. */
function totalOverTls(system: SystemUnderTest, key: string): Promise<{ status: number; total?: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port: system.healthPorts.aggregator,
        path: '/total',
        ca: system.ca,
        headers: bearer(key),
        timeout: 5000,
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('end', () => {
          try {
            resolve({ status: response.statusCode ?? 0, total: JSON.parse(body).total as string | undefined })
          } catch {
            resolve({ status: response.statusCode ?? 0 })
          }
        })
      },
    )
    request.on('timeout', () => request.destroy(new Error('no answer to /total')))
    request.on('error', reject)
  })
}
