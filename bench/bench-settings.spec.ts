import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readBenchSettings } from './bench-settings.ts'

describe('readBenchSettings', () => {
  it('gives the defaults the committed run used', () => {
    const settings = readBenchSettings({})
    assert.notEqual(typeof settings, 'string')
    if (typeof settings === 'string') return
    assert.deepEqual(settings.rates, [250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000])
    assert.equal(settings.stepS, 12)
    assert.equal(settings.outageS, 60)
    assert.equal(settings.outageRate, undefined)
  })

  it('refuses rates that do not increase, before anything is started', () => {
    assert.match(String(readBenchSettings({ BENCH_RATES: '500,250' })), /BENCH_RATES must be increasing/)
    assert.match(String(readBenchSettings({ BENCH_RATES: '250,x' })), /BENCH_RATES/)
  })

  it('refuses a step or an outage that is not a positive number of seconds', () => {
    assert.match(String(readBenchSettings({ BENCH_STEP_S: '0' })), /BENCH_STEP_S/)
    assert.match(String(readBenchSettings({ BENCH_OUTAGE_S: 'soon' })), /BENCH_OUTAGE_S/)
  })
})
