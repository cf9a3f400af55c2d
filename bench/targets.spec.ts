import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { baselineRun, oneStepRun, step } from './bench-results.fakes.ts'
import { information, targets } from './targets.ts'

describe('targets: CPU per Add', () => {
  // 12 CPU s for 12,000 Adds: 1,000 ms per 1,000, ten times the bare server's 100.
  const cpuS = { calculator: 4, relay: 1, aggregator: 2, postgres: 4, kafka: 1 }

  it('says what the calculator and its PostgreSQL backends alone cost, when the split was recorded', () => {
    const summa = step('summa', 1000, {
      cpuS,
      cpuMsPer1000: 1000,
      postgresCpuS: { calculator: 2, relay: 1, aggregator: 0.8, rest: 0.2 },
    })
    const cpu = targets[1]!.measure(oneStepRun(summa))
    // (4 + 2) of 12 CPU s is half of the 10×.
    assert.equal(cpu.value, 10)
    assert.match(
      cpu.detail,
      /^at 1000\/s: 1000 vs 100 µs; the calculator and its PostgreSQL backends alone 5\.0×$/,
    )
    assert.equal(cpu.met, false)
  })

  it('leaves the share out for results recorded without the split, and meets the target at 3× or less', () => {
    const cpu = targets[1]!.measure(oneStepRun(step('summa', 1000, { cpuS, cpuMsPer1000: 250 })))
    assert.equal(cpu.value, 2.5)
    assert.equal(cpu.detail, 'at 1000/s: 250 vs 100 µs')
    assert.equal(cpu.met, true)
  })
})

describe('targets: the committed baseline against the new thresholds', () => {
  const measured = targets.map((target) => target.measure(baselineRun()))

  it('measures the same figures as before, and meets none of the raised targets', () => {
    assert.deepEqual(
      measured.map((target, index) => targets[index]!.format(target.value)),
      ['38 %', '4.4×', '43.2 ms', '24,967/s', '132 MB'],
    )
    assert.deepEqual(
      measured.map((target) => target.met),
      [false, false, false, false, false],
    )
  })

  it('reads GET /total and the event-loop lag for information only', () => {
    const figures = information.map((figure) => figure.measure(baselineRun()))
    assert.deepEqual(
      figures.map((figure, index) => information[index]!.format(figure.value)),
      ['6.4 ms', '6.3 ms'],
    )
    assert.ok(figures.every((figure) => figure.met === undefined))
  })
})

describe('targets: the thresholds', () => {
  it('meets the end-to-end target at 25 ms only with no probe failed', () => {
    const run = oneStepRun(step('summa', 1000))
    run.endToEnd.endToEnd.latency.p99Ms = 25
    assert.equal(targets[2]!.measure(run).met, true)
    run.endToEnd.endToEnd.failed = 1
    assert.equal(targets[2]!.measure(run).met, false)
    assert.match(targets[2]!.measure(run).detail, /1 failed$/)
  })

  it('does not meet the drain target with a backlog that went out in one pass: nothing was timed', () => {
    const run = oneStepRun(step('summa', 1000))
    run.outage.drainRatePerS = 50_000
    assert.equal(targets[3]!.measure(run).met, true)
    run.outage.drainSeconds = 0
    const drain = targets[3]!.measure(run)
    assert.ok(Number.isNaN(drain.value))
    assert.equal(drain.met, false)
    assert.match(drain.detail, /^not timed: the 30,000-event backlog/)
  })

  it("meets the memory target when every service's peak RSS is 100 MB or less", () => {
    const rssMb = (calculator: number) => ({
      calculator: { rssMb: calculator, peakRssMb: calculator },
      relay: { rssMb: 90, peakRssMb: 95 },
      aggregator: { rssMb: 90, peakRssMb: 98 },
    })
    assert.equal(targets[4]!.measure(oneStepRun(step('summa', 1000, { rssMb: rssMb(100) }))).met, true)
    const over = targets[4]!.measure(oneStepRun(step('summa', 1000, { rssMb: rssMb(101) })))
    assert.equal(over.met, false)
    assert.equal(over.detail, 'at 1000/s: calculator 101, relay 95, aggregator 98 MB')
  })
})
