import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { arrivalTimes, profileDurationMs, targetAt } from './profile.ts'

describe('load profile', () => {
  it('ramps linearly within a stage and holds between stages', () => {
    const stages = [
      { durationMs: 1000, target: 100 },
      { durationMs: 1000, target: 100 },
    ]
    assert.equal(targetAt(0, stages, 0), 0)
    assert.equal(targetAt(0, stages, 500), 50)
    assert.equal(targetAt(0, stages, 1500), 100)
    assert.equal(targetAt(0, stages, 2000), undefined)
    assert.equal(profileDurationMs(stages), 2000)
  })

  it('schedules arrivals from the profile alone: 100/s for 2 s is 200 arrivals', () => {
    const times = [...arrivalTimes(100, [{ durationMs: 2000, target: 100 }])]
    assert.equal(times.length, 200)
    assert.ok(Math.abs(times[1]! - times[0]! - 10) < 1e-6)
  })

  it('ramps arrivals: 0 → 200/s over 1 s is about 100 arrivals', () => {
    const count = [...arrivalTimes(0, [{ durationMs: 1000, target: 200 }])].length
    assert.ok(count > 85 && count < 115, `got ${count}`)
  })
})
