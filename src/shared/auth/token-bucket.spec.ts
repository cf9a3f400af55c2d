import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TokenBuckets } from './token-bucket.ts'

describe('TokenBuckets', () => {
  it('allows the burst, then one request per 1/rate, and says how long to wait', () => {
    let now = 0
    const buckets = new TokenBuckets({ perSecond: 10, burst: 3, now: () => now })
    assert.deepEqual(
      [1, 2, 3].map(() => buckets.take('a')),
      [0, 0, 0],
    )
    assert.equal(buckets.take('a'), 100)
    now = 40
    assert.equal(buckets.take('a'), 60)
    now = 100
    assert.equal(buckets.take('a'), 0)
    assert.equal(buckets.take('a'), 100)
  })

  it('keeps one bucket per client and never more than the burst', () => {
    let now = 0
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1, now: () => now })
    assert.equal(buckets.take('a'), 0)
    assert.equal(buckets.take('b'), 0)
    assert.equal(buckets.take('a'), 1000)
    now = 60_000
    assert.equal(buckets.take('a'), 0)
    assert.equal(buckets.take('a'), 1000)
  })

  it('holds at most maxClients buckets, dropping the one used longest ago', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1, maxClients: 2, now: () => 0 })
    assert.equal(buckets.take('a'), 0)
    assert.equal(buckets.take('b'), 0)
    assert.equal(buckets.take('a'), 1000, 'a used again: b is now the oldest')
    assert.equal(buckets.take('c'), 0, 'b dropped')
    assert.equal(buckets.take('a'), 1000, 'a kept')
    assert.equal(buckets.take('b'), 0, 'b starts again full')
  })
})
