import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { exportAuditLog } from '../../src/cli/audit-export.ts'
import { createSql } from '../../src/shared/db.ts'
import { verify } from '../../src/verify/verify.ts'
import { eventually } from '../helpers/eventually.ts'
import { assertVerified } from './assert-verified.ts'
import { TrafficDriver } from './driver.ts'
import { type FaultDependencies, startFaultDependencies } from './fault-dependencies.ts'
import type { PostgresCluster } from './postgres-cluster.ts'
import {
  aggregatorTakeoverMs,
  gracefulSessionMs,
  relayTakeoverMs,
  replicaScenarios,
} from './replica-scenarios.ts'
import { startReplicas, waitHealthy } from './replica-system.ts'

/**
 * Faults with replicas: two calculators, two relays and two aggregators on
 * one database and one consumer group, client traffic round robin over both
 * calculators (with deliberate duplicates), one fault per scenario, then the
 * verifier and the takeover times. Its own broker and PostgreSQL cluster on
 * SUMMA_TEST_FAULTS_PORT + 30…+32.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const basePort = Number(process.env.SUMMA_TEST_FAULTS_PORT ?? 19400) + 30
const bootstrap = `127.0.0.1:${basePort}`
const rate = Number(process.env.SUMMA_FAULTS_RATE ?? 100)
const trafficAfterMs = Number(process.env.SUMMA_FAULTS_TRAFFIC_AFTER_MS ?? 3000)
const resultsDir = path.join(root, '.test-data', 'faults-replicas')
/** The bound on an aggregator's takeover after kill -9 (session timeout 1.2 s). */
const takeoverLimitMs = 2000

interface Row {
  scenario: string
  faults: string
  requests: number
  attempts: number
  duplicateSends: number
  lost: number
  duplicated: number
  phantom: number
  aggregatorTakeoverMs: number
  relayTakeoverMs: number
  firstOkAfterMs: number
  sameTotal: boolean
  notes: Record<string, string | number | boolean>
}

describe('fault injection with replicas', { concurrency: 1 }, () => {
  let dir: string
  let postgres: PostgresCluster
  let ownDependencies: FaultDependencies | undefined
  const rows: Row[] = []

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'summa-replicas-'))
    await mkdir(resultsDir, { recursive: true })
    ownDependencies = await startFaultDependencies(basePort, dir, path.join(resultsDir, 'kafka-broker.log'))
    postgres = ownDependencies.postgres
  })

  after(async () => {
    await ownDependencies?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    if (rows.length > 0) {
      await writeFile(path.join(resultsDir, 'results.json'), `${JSON.stringify(rows, null, 2)}\n`)
      await writeFile(path.join(resultsDir, 'results.md'), table(rows))
      process.stdout.write(`\n${table(rows)}\n`)
    }
  })

  const only = process.env.SUMMA_FAULTS_ONLY
  for (const [index, scenario] of replicaScenarios.entries()) {
    if (only !== undefined && !scenario.name.includes(only)) continue
    it(scenario.name, { timeout: 240_000 }, async () => {
      const scenarioDir = path.join(resultsDir, `${index + 1}-${scenario.name.replace(/[^a-z0-9]+/gi, '-')}`)
      await rm(scenarioDir, { recursive: true, force: true })
      await mkdir(scenarioDir, { recursive: true })
      const topic = `summa-replicas-${index + 1}`
      const databaseUrl = postgres.url.replace(/\/summa$/, `/summa_replicas_${index + 1}`)
      const system = await startReplicas({
        databaseUrl,
        bootstrap,
        topic,
        dir: scenarioDir,
        count: 2,
        envOf: ownDependencies!.envOf,
        ...(scenario.env === undefined ? {} : { env: scenario.env }),
      })
      const ledgerFile = path.join(scenarioDir, 'ledger.jsonl')
      const driver = new TrafficDriver({ address: system.grpcAddresses, ledgerFile, ratePerSecond: rate })
      const notes: Row['notes'] = {}
      const sql = createSql({ url: databaseUrl, poolSize: 2, applicationName: 'summa-faults-verify' })
      try {
        await waitHealthy(system.replicas, 90_000)
        driver.start()
        await eventually(() => assert.ok(driver.stats.ok >= rate, 'traffic flows before the fault'), 30_000)
        const faultAt = Date.now()
        const healedAt = await scenario.inject({
          system,
          sql,
          topic,
          driver,
          note: (key, value) => {
            notes[key] = value
          },
        })
        const firstOk = await eventually(() => {
          const ok = driver.firstOkAfter(healedAt)
          assert.ok(ok !== undefined, 'an Add succeeds again after the fault')
          return ok
        }, 90_000)
        await driver.moreOk((rate * trafficAfterMs) / 1000)
        const sent = await driver.stop()
        const auditFiles = system.of('aggregator').map((replica) => path.join(replica.dataDir, 'audit.jsonl'))
        const settled = await verify({ sql, topic, ledgerFile, auditFiles, settleMs: 90_000 })
        // The whole audit log, rebuilt from PostgreSQL, checked as the aggregators' files are.
        const exportFile = path.join(scenarioDir, 'audit-export.jsonl')
        const exported = await exportAudit(sql, exportFile)
        const report = await verify({
          sql,
          topic,
          ledgerFile,
          auditFiles: [...auditFiles, exportFile],
          settleMs: 0,
        })
        await writeFile(
          path.join(scenarioDir, 'verify.json'),
          `${JSON.stringify({ settled, report }, null, 2)}\n`,
        )
        const [applied] = await sql<{ count: string }[]>`select count(*)::text as count from applied_events`
        assert.equal(exported.lines, Number(applied?.count), 'the export holds every applied event')
        assert.equal(exported.unique, exported.lines, 'the export holds each event once')
        assert.ok(exported.ordered, 'the export is in seq order')
        const inFiles = await auditIds(auditFiles)
        assert.deepEqual(
          [...inFiles.ids].filter((id) => !exported.ids.has(id)),
          [],
          "every aggregator's line is in the export",
        )
        notes.auditFileLines = inFiles.lines
        notes.auditExportLines = exported.lines
        // Every aggregator still running (restarted ones too) serves the same total (from the same rows).
        await waitHealthy(
          system.replicas.filter((replica) => !replica.process.held),
          60_000,
        )
        const totals = await Promise.all(
          system
            .of('aggregator')
            .filter((replica) => !replica.process.held)
            .map(async (replica) => {
              const response = await fetch(`http://127.0.0.1:${replica.healthPort}/total`)
              return ((await response.json()) as { total: string }).total
            }),
        )
        const row: Row = {
          scenario: scenario.name,
          faults: scenario.faults,
          requests: report.requests,
          attempts: report.attempts,
          duplicateSends: report.duplicateSends,
          lost: report.lost,
          duplicated: report.duplicated,
          phantom: report.phantom,
          aggregatorTakeoverMs: await aggregatorTakeoverMs(sql, topic, faultAt),
          relayTakeoverMs: await relayTakeoverMs(sql, faultAt),
          firstOkAfterMs: firstOk.at - healedAt,
          sameTotal: new Set(totals).size === 1,
          notes: { ...notes, unresolvedRequests: sent.unresolved, totals: totals.join(' ') },
        }
        rows.push(row)
        assertVerified(report)
        assert.equal(row.sameTotal, true, `aggregators' totals: ${totals.join(', ')}`)
        if (scenario.name.startsWith('kill -9 one aggregator'))
          assert.ok(
            row.aggregatorTakeoverMs <= takeoverLimitMs,
            `takeover took ${row.aggregatorTakeoverMs} ms`,
          )
        if (scenario.name.startsWith('kill -9 one relay'))
          assert.ok(row.relayTakeoverMs <= takeoverLimitMs, `relay takeover took ${row.relayTakeoverMs} ms`)
        if (notes.sameIdAnswersDiffering !== undefined) assert.equal(notes.sameIdAnswersDiffering, 0)
        for (const [key, value] of Object.entries(notes)) {
          if (key.endsWith('HandoverMs'))
            assert.ok(
              Number(value) <= 3000,
              `${key}: ${value} ms, not a leave (session ${gracefulSessionMs} ms)`,
            )
        }
      } finally {
        await driver.stop().catch(() => {})
        await system.stop()
        await sql.end({ timeout: 5 })
      }
    })
  }
})

async function exportAudit(
  sql: Parameters<typeof exportAuditLog>[0],
  file: string,
): Promise<{ lines: number; unique: number; ordered: boolean; ids: Set<string> }> {
  const out = createWriteStream(file)
  const lines = await exportAuditLog(sql, out)
  out.end()
  await once(out, 'finish')
  const parsed = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { seq: string; eventId: string })
  const ids = new Set(parsed.map((line) => line.eventId))
  const ordered = parsed.every((line, i) => i === 0 || BigInt(line.seq) > BigInt(parsed[i - 1]!.seq))
  return { lines, unique: ids.size, ordered, ids }
}

async function auditIds(files: string[]): Promise<{ lines: number; ids: Set<string> }> {
  const ids = new Set<string>()
  let lines = 0
  for (const file of files) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (line === '') continue
      lines++
      ids.add((JSON.parse(line) as { eventId: string }).eventId)
    }
  }
  return { lines, ids }
}

function table(rows: Row[]): string {
  const seconds = (ms: number) => (Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(2)} s`)
  return (
    '| scenario | faults injected | requests | sends | duplicate sends | lost | duplicated | phantom | partitions applied again after | rows written before applied after | Add OK after the fault ended | same total on every aggregator |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n' +
    rows
      .map(
        (row) =>
          `| ${row.scenario} | ${row.faults} | ${row.requests} | ${row.attempts} | ${row.duplicateSends} | ${row.lost} | ${row.duplicated} | ${row.phantom} | ${seconds(row.aggregatorTakeoverMs)} | ${seconds(row.relayTakeoverMs)} | ${seconds(row.firstOkAfterMs)} | ${row.sameTotal ? 'yes' : 'no'} |`,
      )
      .join('\n') +
    '\n'
  )
}
