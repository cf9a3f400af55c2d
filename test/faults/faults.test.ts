import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createSql } from '../../src/shared/db.ts'
import { verify } from '../../src/verify/verify.ts'
import { eventually } from '../helpers/eventually.ts'
import { assertVerified } from './assert-verified.ts'
import { type DependencyContext, kafkaDown, postgresDown, startWhilePostgresDown } from './dependencies.ts'
import { TrafficDriver } from './driver.ts'
import { type FaultDependencies, startFaultDependencies } from './fault-dependencies.ts'
import { assertRodeOut, restartsOf } from './outage-watch.ts'
import type { PostgresCluster } from './postgres-cluster.ts'
import { type FaultContext, scenarios } from './scenarios.ts'
import type { Supervised } from './supervisor.ts'
import { startSystem, waitUntilHealthy } from './system-under-test.ts'

/**
 * The bounded fault-injection suite: for each scenario, a fresh database and
 * topic, calculator/relay/aggregator as supervised processes, client traffic
 * with retries and deliberate duplicates, one fault, then the verifier. The
 * broker and the PostgreSQL cluster are the suite's own (ports
 * SUMMA_TEST_FAULTS_PORT…+2), so it may kill them.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const basePort = Number(process.env.SUMMA_TEST_FAULTS_PORT ?? 19400)
const bootstrap = `127.0.0.1:${basePort}`
const rate = Number(process.env.SUMMA_FAULTS_RATE ?? 100)
const trafficAfterMs = Number(process.env.SUMMA_FAULTS_TRAFFIC_AFTER_MS ?? 3000)
const resultsDir = path.join(root, '.test-data', 'faults')
// A bound, not a duration: the 60 s database outage needs the extra minute.
const testTimeoutMs = 230_000 + 2 * trafficAfterMs

interface Row {
  scenario: string
  faults: string
  requests: number
  attempts: number
  duplicateSends: number
  acknowledged: number
  unknownCommitted: number
  lost: number
  duplicated: number
  phantom: number
  /** Events the relay sent again (crash between publish and mark) that the aggregator skipped by id. */
  resendsSkipped: number
  firstOkAfterMs: number
  endToEndAfterMs: number
  convergedAfterMs: number
  notes: Record<string, string | number | boolean>
}

describe('fault injection', { concurrency: 1 }, () => {
  let dir: string
  let postgres: PostgresCluster
  let broker: Supervised
  let ownDependencies: FaultDependencies | undefined
  const rows: Row[] = []
  const dependencyRows: Array<{ dependency: string; notes: Row['notes']; verify: string }> = []

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'summa-faults-'))
    await mkdir(resultsDir, { recursive: true })
    ownDependencies = await startFaultDependencies(basePort, dir, path.join(resultsDir, 'kafka-broker.log'))
    postgres = ownDependencies.postgres
    broker = ownDependencies.broker
  })

  after(async () => {
    await ownDependencies?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    if (rows.length > 0) {
      await writeFile(path.join(resultsDir, 'results.json'), `${JSON.stringify(rows, null, 2)}\n`)
      await writeFile(path.join(resultsDir, 'results.md'), table(rows))
      process.stdout.write(`\n${table(rows)}\n`)
    }
    if (dependencyRows.length > 0) {
      await writeFile(
        path.join(resultsDir, 'dependencies.json'),
        `${JSON.stringify(dependencyRows, null, 2)}\n`,
      )
      process.stdout.write(`\n${JSON.stringify(dependencyRows, null, 2)}\n`)
    }
  })

  const only = process.env.SUMMA_FAULTS_ONLY
  for (const [index, scenario] of scenarios.entries()) {
    if (only !== undefined && !scenario.name.includes(only)) continue
    it(scenario.name, { timeout: testTimeoutMs }, async () => {
      const scenarioDir = path.join(resultsDir, `${index + 1}-${scenario.name.replace(/[^a-z0-9]+/gi, '-')}`)
      await rm(scenarioDir, { recursive: true, force: true })
      await mkdir(scenarioDir, { recursive: true })
      const topic = `summa-faults-${index + 1}`
      const databaseUrl = postgres.url.replace(/\/summa$/, `/summa_faults_${index + 1}`)
      const system = await startSystem({
        databaseUrl,
        bootstrap,
        topic,
        dir: scenarioDir,
        envOf: ownDependencies!.envOf,
      })
      const ledgerFile = path.join(scenarioDir, 'ledger.jsonl')
      const driver = new TrafficDriver({
        address: system.grpcAddress,
        ledgerFile,
        ratePerSecond: rate,
      })
      const notes: Row['notes'] = {}
      const probeSql = createSql({ url: databaseUrl, poolSize: 1, applicationName: 'summa-faults-probe' })
      try {
        await waitUntilHealthy(system, 60_000)
        driver.start()
        await eventually(() => assert.ok(driver.stats.ok >= rate, 'traffic flows before the fault'), 30_000)
        const context: FaultContext = {
          system,
          broker,
          postgres,
          note: (key, value) => {
            notes[key] = value
          },
        }
        const healedAt = await scenario.inject(context)
        const firstOk = await eventually(() => {
          const ok = driver.firstOkAfter(healedAt)
          assert.ok(ok !== undefined, 'an Add succeeds again after the fault')
          return ok
        }, 90_000)
        // End to end again: that first post-fault Add has reached the total.
        const endToEndAt = await eventually(
          async () => {
            const [row] = await probeSql`
              select 1 from applied_events where request_id = ${firstOk.requestId}`
            assert.ok(row !== undefined, 'the first Add after the fault is applied')
            return Date.now()
          },
          90_000,
          20,
        )
        // Keep traffic flowing a while after recovery, so the tail of the fault is exercised too.
        await driver.moreOk((rate * trafficAfterMs) / 1000)
        const sent = await driver.stop()
        const sql = createSql({ url: databaseUrl, poolSize: 2, applicationName: 'summa-faults-verify' })
        let report: Awaited<ReturnType<typeof verify>>
        try {
          report = await verify({
            sql,
            topic,
            ledgerFile,
            auditFile: path.join(system.dataDir, 'audit.jsonl'),
            settleMs: 90_000,
          })
        } finally {
          await sql.end({ timeout: 5 })
        }
        const convergedAt = Date.now()
        const [resends] = await probeSql<{ count: string }[]>`
          select coalesce(sum(duplicate_count), 0)::text as count from partition_totals where topic = ${topic}`
        await writeFile(path.join(scenarioDir, 'verify.json'), `${JSON.stringify(report, null, 2)}\n`)
        rows.push({
          scenario: scenario.name,
          faults: scenario.faults,
          requests: report.requests,
          attempts: report.attempts,
          duplicateSends: report.duplicateSends,
          acknowledged: report.acknowledged,
          unknownCommitted: report.unknownCommitted,
          lost: report.lost,
          duplicated: report.duplicated,
          phantom: report.phantom,
          resendsSkipped: Number(resends?.count ?? 0),
          firstOkAfterMs: firstOk.at - healedAt,
          endToEndAfterMs: endToEndAt - healedAt,
          convergedAfterMs: convergedAt - healedAt,
          notes: { ...notes, unresolvedRequests: sent.unresolved },
        })
        assertVerified(report)
        if (context.outage !== undefined)
          assertRodeOut(context.outage.watch, restartsOf(system) - context.outage.restartsBefore)
        assert.ok(report.duplicateSends / report.attempts >= 0.1, `duplicate sends: ${report.duplicateSends}`)
        if (notes.calculatorNotReadyAfterMs !== undefined) {
          assert.ok(
            Number(notes.calculatorNotReadyAfterMs) >= 0,
            'readiness turned 503 while PostgreSQL was down',
          )
          assert.ok(Number(notes.calculatorNotReadyAfterMs) <= 2000, 'within one probe period and a timeout')
          assert.equal(notes.livenessFailed, false, 'liveness stays up while PostgreSQL is down')
        }
      } finally {
        await driver.stop().catch(() => {})
        await probeSql.end({ timeout: 5 })
        await system.stop()
      }
    })
  }

  // The third starts the services while PostgreSQL is down (stopped after `summa migrate`).
  const dependencies: Array<[string, (context: DependencyContext) => Promise<unknown>, boolean?]> = [
    ['PostgreSQL down', postgresDown],
    ['Kafka down', kafkaDown],
    ['services started while PostgreSQL is down', startWhilePostgresDown, true],
  ]
  for (const [index, [name, body, startWhileDown]] of dependencies.entries()) {
    if (only !== undefined && !name.includes(only)) continue
    it(name, { timeout: testTimeoutMs }, async () => {
      const scenarioDir = path.join(
        resultsDir,
        `dependency-${index + 1}-${name.replace(/[^a-z0-9]+/gi, '-')}`,
      )
      await rm(scenarioDir, { recursive: true, force: true })
      await mkdir(scenarioDir, { recursive: true })
      const topic = `summa-faults-dependency-${index + 1}`
      const databaseUrl = postgres.url.replace(/\/summa$/, `/summa_faults_dependency_${index + 1}`)
      const system = await startSystem({
        databaseUrl,
        bootstrap,
        topic,
        dir: scenarioDir,
        envOf: ownDependencies!.envOf,
        ...(startWhileDown ? { beforeServices: () => postgres.stop('immediate') } : {}),
      })
      const ledgerFile = path.join(scenarioDir, 'ledger.jsonl')
      const notes: Row['notes'] = {}
      try {
        if (!startWhileDown) await waitUntilHealthy(system, 60_000)
        const result = await body({
          system,
          broker,
          postgres,
          ledgerFile,
          note: (key, value) => {
            notes[key] = value
          },
        })
        const sql = createSql({ url: databaseUrl, poolSize: 2, applicationName: 'summa-faults-verify' })
        try {
          const report = await verify({
            sql,
            topic,
            ledgerFile,
            auditFile: path.join(system.dataDir, 'audit.jsonl'),
            settleMs: 90_000,
          })
          if (typeof result === 'number') notes.backlogDrainedAfterMs = Date.now() - result
          await writeFile(path.join(scenarioDir, 'verify.json'), `${JSON.stringify(report, null, 2)}\n`)
          dependencyRows.push({
            dependency: name,
            notes,
            verify: `${report.requests} requests, ${report.acknowledged} acknowledged, lost ${report.lost}, duplicated ${report.duplicated}, phantom ${report.phantom}`,
          })
          assert.equal(report.ok, true, JSON.stringify(report))
        } finally {
          await sql.end({ timeout: 5 })
        }
      } finally {
        await system.stop()
      }
    })
  }
})

function table(rows: Row[]): string {
  const header =
    '| scenario | faults injected | requests | sends | duplicate sends | acknowledged | unknown, committed | lost | duplicated | phantom | re-sent events skipped | Add OK again after | end to end again after | verified after |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  return (
    header +
    rows
      .map(
        (row) =>
          `| ${row.scenario} | ${row.faults} | ${row.requests} | ${row.attempts} | ${row.duplicateSends} (${Math.round((100 * row.duplicateSends) / row.attempts)} %) | ${row.acknowledged} | ${row.unknownCommitted} | ${row.lost} | ${row.duplicated} | ${row.phantom} | ${row.resendsSkipped} | ${(row.firstOkAfterMs / 1000).toFixed(1)} s | ${(row.endToEndAfterMs / 1000).toFixed(1)} s | ${(row.convergedAfterMs / 1000).toFixed(1)} s |`,
      )
      .join('\n') +
    '\n'
  )
}
