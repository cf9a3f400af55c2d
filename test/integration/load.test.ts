import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { parseLoadArgs } from '../../src/load/load-options.ts'
import { runLoad } from '../../src/load/run-load.ts'
import { type LedgerEntry, readLedger } from '../../src/shared/ledger.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { createTestSystem, getJson, startTestCalculator, startTestPipeline } from '../helpers/system.ts'

// A smoke run of the load tool against a whole system: a few hundred requests,
// enough to prove the report and the ledger are right. Speed is the bench's job.
describe('summa load', () => {
  it('drives a mix of endpoints, writes the ledger, and its ok Adds make the total', async (t) => {
    const system = await createTestSystem(t)
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const dir = await mkdtemp(path.join(tmpdir(), 'summa-load-'))
    defer(t, () => rm(dir, { recursive: true, force: true }))
    const ledgerFile = path.join(dir, 'ledger.jsonl')
    const httpPort = aggregator.running.httpPort

    const options = parseLoadArgs(
      [
        ...['--rate', '200', '--duration', '1.5s', '--mix', 'add=80,total=15,health=5'],
        ...['--duplicates', '0.2', '--channels', '2', '--ledger', ledgerFile, '--e2e-probe', '--quiet'],
        ...['--max-error-rate', '0'],
      ],
      { grpcAddress: `127.0.0.1:${calculator.running.grpcPort}`, httpBase: `http://127.0.0.1:${httpPort}` },
    )
    const report = await runLoad(options)

    assert.equal(report.errors, 0, JSON.stringify(report.errorsByCode))
    assert.equal(report.passed, true)
    assert.ok(report.requests >= 250, `about 300 requests were due, got ${report.requests}`)
    for (const operation of ['add', 'total', 'health']) {
      const stats = report.byOperation[operation]
      assert.ok(stats !== undefined && stats.requests > 0, `${operation} was called`)
      assert.ok(stats.latency.p99Ms > 0 && stats.latency.maxMs >= stats.latency.p99Ms)
    }
    for (const field of ['p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'maxMs'] as const)
      assert.equal(typeof report.latency[field], 'number')
    assert.ok(report.throughputPerS > 0)
    assert.ok(
      report.endToEnd !== undefined && report.endToEnd.failed === 0 && report.endToEnd.latency.count > 0,
    )

    const entries: LedgerEntry[] = []
    for await (const entry of readLedger(ledgerFile)) entries.push(entry)
    // Every Add attempt, the end-to-end probes' included, is in the ledger.
    assert.equal(entries.length, report.ledger?.entries)
    assert.ok(entries.length >= report.byOperation.add!.requests)
    assert.ok(entries.every((entry) => entry.outcome === 'ok' && entry.code === 'OK'))
    assert.ok(
      entries.some((entry) => entry.attempt > 1 && entry.replayed === true),
      'duplicates were sent',
    )

    // The total is the sum of the distinct acknowledged Adds.
    const distinct = new Map(entries.map((entry) => [entry.requestId, BigInt(entry.sum!)]))
    const expected = [...distinct.values()].reduce((sum, value) => sum + value, 0n)
    await eventually(async () => {
      const { body } = await getJson<{ total: string; appliedEvents: string }>(httpPort, '/total')
      assert.equal(body.total, expected.toString())
      assert.equal(body.appliedEvents, String(distinct.size))
    })
  })

  it('exits through its thresholds: a p99 limit no server can meet is breached', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const options = parseLoadArgs(['--model', 'closed', '--vus', '5', '--think', '1-5', '--duration', '1s'], {
      grpcAddress: `127.0.0.1:${calculator.running.grpcPort}`,
      httpBase: 'http://127.0.0.1:1',
    })
    options.thresholds = { maxP99Ms: 0.001 }
    const report = await runLoad({ ...options, progress: false })
    assert.ok(report.ok > 0)
    assert.equal(report.passed, false)
    assert.deepEqual(
      report.thresholds.map((threshold) => [threshold.name, threshold.passed]),
      [['p99_ms', false]],
    )
  })
})
