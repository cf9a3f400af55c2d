import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RecentRequests } from './recent-requests.ts'

describe('RecentRequests', () => {
  it('evicts the least recently used entry past the size limit', () => {
    const cache = new RecentRequests<number>(2, 60_000)
    cache.set('a', 1)
    cache.set('b', 2)
    assert.equal(cache.get('a'), 1) // a is now the most recently used
    cache.set('c', 3)
    assert.equal(cache.get('b'), undefined)
    assert.equal(cache.get('a'), 1)
    assert.equal(cache.get('c'), 3)
    assert.equal(cache.size, 2)
  })

  it('forgets entries older than the TTL', () => {
    let now = 1000
    const cache = new RecentRequests<number>(10, 100, () => now)
    cache.set('a', 1)
    now += 99
    assert.equal(cache.get('a'), 1)
    now += 101
    assert.equal(cache.get('a'), undefined)
    assert.equal(cache.size, 0)
  })

  it('holds nothing when disabled', () => {
    const cache = new RecentRequests<number>(0, 100)
    cache.set('a', 1)
    assert.equal(cache.get('a'), undefined)
  })
})
