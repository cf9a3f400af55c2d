import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LatencyWindow } from './latency-window.ts'

describe('LatencyWindow', () => {
  it('answers nearest-rank percentiles of the observations in its window', () => {
    const now = 0
    const window = new LatencyWindow(1000, 10_000, () => now)
    for (let i = 1; i <= 100; i++) window.observe(i)
    assert.deepEqual(window.percentiles([0.5, 0.99, 1]), [50, 99, 100])
  })

  it('forgets observations older than the window and those overwritten', () => {
    let now = 0
    const window = new LatencyWindow(4, 1000, () => now)
    window.observe(100)
    now = 2000
    assert.deepEqual(window.percentiles([0.5]), [null])
    for (const value of [1, 2, 3, 4, 5]) window.observe(value)
    assert.deepEqual(window.percentiles([0, 1]), [2, 5])
  })
})
