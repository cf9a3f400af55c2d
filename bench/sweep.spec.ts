import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Sweep } from './sweep.ts'

describe('Sweep', () => {
  it('counts as sustained only a rate with every lower rate passed', () => {
    const sweep = new Sweep()
    sweep.record(250, true, true)
    sweep.record(500, true, true)
    sweep.record(1000, false, true)
    sweep.record(1500, true, true)
    assert.equal(sweep.sustained, 500)
    assert.equal(sweep.capacity, 1500)
    assert.equal(sweep.done, false)
  })

  it('gives a second attempt unless the rate below failed', () => {
    const sweep = new Sweep()
    assert.equal(sweep.attempts, 2)
    sweep.record(250, false, true)
    assert.equal(sweep.attempts, 1)
    sweep.record(500, true, true)
    assert.equal(sweep.attempts, 2)
    assert.equal(sweep.sustained, 0)
  })

  it('stops once the target no longer keeps up', () => {
    const sweep = new Sweep()
    sweep.record(1000, true, true)
    sweep.record(2000, false, false)
    assert.equal(sweep.done, true)
    assert.equal(sweep.capacity, 1000)
    assert.equal(sweep.sustained, 1000)
  })
})
