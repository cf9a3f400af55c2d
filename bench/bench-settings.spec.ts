import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { benchBudgetMinutes, readBenchSettings } from './bench-settings.ts'

describe('readBenchSettings', () => {
  it('gives the defaults: three runs, the sweep from 500/s', () => {
    const settings = readBenchSettings({})
    assert.notEqual(typeof settings, 'string')
    if (typeof settings === 'string') return
    assert.equal(settings.runs, 3)
    assert.deepEqual(settings.rates, [500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000])
    assert.equal(settings.stepS, 12)
    assert.equal(settings.outageS, 60)
    assert.equal(settings.outageRate, undefined)
  })

  it('refuses rates that do not increase, before anything is started', () => {
    assert.match(String(readBenchSettings({ BENCH_RATES: '500,250' })), /BENCH_RATES must be increasing/)
    assert.match(String(readBenchSettings({ BENCH_RATES: '250,x' })), /BENCH_RATES/)
  })

  it('takes the number of runs from BENCH_RUNS, a positive whole number', () => {
    const settings = readBenchSettings({ BENCH_RUNS: '2' })
    assert.equal(typeof settings === 'string' ? settings : settings.runs, 2)
    for (const runs of ['0', '1.5', 'three'])
      assert.match(
        String(readBenchSettings({ BENCH_RUNS: runs })),
        /BENCH_RUNS must be a positive whole number/,
      )
  })

  it('gives each run a budget of about its own duration, then some', () => {
    // A run takes about 7 minutes on two cores; the budget only stops a bench that hangs.
    assert.ok(benchBudgetMinutes(1) >= 14)
    assert.ok(benchBudgetMinutes(3) >= 3 * 7 + 10)
    assert.ok(benchBudgetMinutes(3) > benchBudgetMinutes(2))
  })

  it('refuses a step or an outage that is not a positive number of seconds', () => {
    assert.match(String(readBenchSettings({ BENCH_STEP_S: '0' })), /BENCH_STEP_S/)
    assert.match(String(readBenchSettings({ BENCH_OUTAGE_S: 'soon' })), /BENCH_OUTAGE_S/)
  })
})
