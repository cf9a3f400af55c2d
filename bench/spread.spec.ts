import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatSpread, median, medianIndex, verdict } from './spread.ts'

const percent = (share: number): string => `${Math.round(share * 100)} %`

describe('spread over runs', () => {
  it('gives the middle value, the mean of the two middle ones for an even count, ignoring runs without one', () => {
    assert.equal(median([0.44, 0.38, 0.41]), 0.41)
    assert.equal(median([3, 1, 4, 2]), 2.5)
    assert.equal(median([NaN, 5, 7]), 6)
    assert.ok(Number.isNaN(median([NaN])))
  })

  it('picks the median run, the lower middle one for an even count and the earliest for a tie', () => {
    assert.equal(medianIndex([0.44, 0.38, 0.41]), 2)
    assert.equal(medianIndex([4, 1, 3, 2]), 3)
    assert.equal(medianIndex([0.5, 0.5, 0.5]), 1)
    assert.equal(medianIndex([NaN, 0.4, 0.5]), 1)
    assert.equal(medianIndex([0.4]), 0)
  })

  it("shows every run's value in run order, then the median; one run's value alone", () => {
    assert.equal(formatSpread([0.38, 0.44, 0.41], percent), '38 %, 44 %, 41 % (median 41 %)')
    assert.equal(formatSpread([0.38], percent), '38 %')
    assert.equal(formatSpread([0.38, NaN, 0.42], percent), '38 %, ?, 42 % (median 40 %)')
  })

  it('meets a target only when every run met it, and counts the runs that did', () => {
    assert.equal(verdict([true, true, true]), 'yes (3 of 3)')
    assert.equal(verdict([false, true, false]), '**no** (1 of 3)')
    assert.equal(verdict([false, false, false]), '**no** (0 of 3)')
    assert.equal(verdict([]), '**no** (0 of 0)')
  })
})
