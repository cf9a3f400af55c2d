import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LatencySummary } from '../src/load/latency-histogram.ts'
import type { BenchResults, Step } from './bench-results.ts'
import { targetsOf } from './performance-doc.ts'

const latency = (p99Ms: number): LatencySummary => ({
  count: 1000,
  meanMs: p99Ms / 4,
  p50Ms: p99Ms / 4,
  p90Ms: p99Ms / 2,
  p95Ms: p99Ms / 1.5,
  p99Ms,
  p999Ms: p99Ms,
  maxMs: p99Ms,
})

const step = (target: Step['target'], rate: number, extra: Partial<Step> = {}): Step => ({
  target,
  rate,
  attempt: 1,
  throughputPerS: rate,
  requests: rate * 12,
  errors: 0,
  errorsByCode: {},
  latency: latency(20),
  passed: true,
  cpuS: {},
  cpuMsPer1000: 0,
  clientCpuMsPer1000: 0,
  ...extra,
})

function results(summaStep: Step): BenchResults {
  return {
    startedAt: '2026-11-29T00:00:00.000Z',
    finishedAt: '2026-11-29T00:08:00.000Z',
    command: 'make bench',
    settings: { stepS: 12, rates: [1000], p99LimitMs: 50, outageS: 60 },
    machine: {},
    sustained: { bare: 1000, summa: 1000 },
    capacity: { bare: 1000, summa: 1000 },
    summaIdleCpuPerS: {},
    steps: [step('bare', 1000, { cpuS: { bare: 1.2 }, cpuMsPer1000: 100 }), summaStep],
    endToEnd: {
      rate: 500,
      add: latency(20),
      total: latency(5),
      endToEnd: { probes: 100, failed: 0, latency: latency(40) },
      eventLoopLagP99Ms: {},
      errors: 0,
    },
    outage: {
      rate: 500,
      outageS: 60,
      backlogAtRestart: 30_000,
      firstPublishAfterRestartS: 5,
      published: 29_000,
      drainSeconds: 1,
      drainRatePerS: 29_000,
      addErrors: 0,
      addLatency: latency(30),
    },
  }
}

describe('targetsOf: CPU per Add', () => {
  // 12 CPU s for 12,000 Adds: 1,000 ms per 1,000, ten times the bare server's 100.
  const cpuS = { calculator: 4, relay: 1, aggregator: 2, postgres: 4, kafka: 1 }

  it('says what the calculator and its PostgreSQL backends alone cost, when the split was recorded', () => {
    const summa = step('summa', 1000, {
      cpuS,
      cpuMsPer1000: 1000,
      postgresCpuS: { calculator: 2, relay: 1, aggregator: 0.8, rest: 0.2 },
    })
    const cpu = targetsOf(results(summa))[1]!
    // (4 + 2) of 12 CPU s is half of the 10×.
    assert.match(cpu.measured, /= 10\.0×; the calculator and its PostgreSQL backends alone 5\.0×$/)
    assert.equal(cpu.met, false)
  })

  it('leaves the share out for results recorded without the split', () => {
    const summa = step('summa', 1000, { cpuS, cpuMsPer1000: 250 })
    const cpu = targetsOf(results(summa))[1]!
    assert.match(cpu.measured, /= 2\.5×$/)
    assert.equal(cpu.met, true)
  })
})
