import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type BackendCpu, splitByService } from './postgres-cpu.ts'

describe('splitByService', () => {
  it('counts each backend from its first reading, and a closed one only in the rest', () => {
    const before: BackendCpu = new Map([
      [10, { service: 'calculator', cpuS: 5 }],
      [11, { service: 'relay', cpuS: 2 }],
      [12, { service: 'calculator', cpuS: 9 }], // closed before the second reading
    ])
    const after: BackendCpu = new Map([
      [10, { service: 'calculator', cpuS: 6.5 }],
      [11, { service: 'relay', cpuS: 2.25 }],
      [13, { service: 'aggregator', cpuS: 0.5 }], // opened in between
    ])
    assert.deepEqual(splitByService(3, before, after), {
      calculator: 1.5,
      relay: 0.25,
      aggregator: 0.5,
      rest: 0.75,
    })
  })

  it('never reports a negative rest', () => {
    const after: BackendCpu = new Map([[10, { service: 'calculator', cpuS: 1 }]])
    assert.equal(splitByService(0.99, new Map(), after).rest, 0)
  })
})
