import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { LatencyWindow } from '../latency-window.ts'
import { ConsoleFeed, type ConsoleSources } from './console-feed.ts'

function sources(overrides: Partial<ConsoleSources> = {}) {
  let now = 10_000
  let applied = 100n
  const applyLatency = new LatencyWindow(100, 30_000, () => now)
  const endToEnd = new LatencyWindow(100, 30_000, () => now)
  const base: ConsoleSources = {
    readTotal: async () => ({
      total: '123456789012345678901234567890',
      appliedEvents: applied.toString(),
      duplicateEvents: '0',
      poisonEvents: '1',
      lastAppliedAt: new Date(now),
    }),
    addsPerSecond: async () => 42,
    recentEvents: async () => [],
    lag: async () => [
      { partition: 0, offsets: 3, seconds: 0.5 },
      { partition: 1, offsets: 4, seconds: 2 },
    ],
    outbox: async () => ({ pending: 7, oldestAgeSeconds: 0.25 }),
    owners: async () => [
      { replica: 'host-8080', partitions: [0, 2, 4] },
      { replica: 'host-8180', partitions: [1, 3, 5] },
    ],
    applyLatency,
    endToEnd,
    now: () => now,
    ...overrides,
  }
  return {
    base,
    advance: (ms: number, events: bigint) => {
      now += ms
      applied += events
    },
    applyLatency,
    endToEnd,
  }
}

describe('ConsoleFeed', () => {
  it('reports the exact total, rates from consecutive snapshots, summed lag and percentiles', async () => {
    const s = sources()
    const feed = new ConsoleFeed(s.base, pino({ level: 'silent' }))
    const first = await feed.snapshot()
    assert.equal(first.total, '123456789012345678901234567890')
    assert.equal(first.appliedPerSecond, 0)
    assert.deepEqual(first.endToEnd, { p50: null, p90: null, p99: null })
    s.advance(2000, 50n)
    for (const seconds of [0.01, 0.02, 0.03, 0.04]) s.endToEnd.observe(seconds)
    const second = await feed.snapshot()
    assert.equal(second.appliedPerSecond, 25)
    assert.equal(second.addsPerSecond, 42)
    assert.equal(second.endToEnd.p50, 0.02)
    assert.equal(second.endToEnd.p99, 0.04)
    assert.equal(second.lag?.offsets, 7)
    assert.equal(second.lag?.seconds, 2)
    assert.deepEqual(second.outbox, { pending: 7, oldestAgeSeconds: 0.25 })
    assert.deepEqual(second.owners, [
      { replica: 'host-8080', partitions: [0, 2, 4] },
      { replica: 'host-8180', partitions: [1, 3, 5] },
    ])
  })

  it('still shows the total when Kafka (lag) or the outbox cannot be read', async () => {
    const s = sources({
      lag: async () => {
        throw new Error('kafka down')
      },
      outbox: async () => {
        throw new Error('no table')
      },
      owners: async () => {
        throw new Error('kafka down')
      },
    })
    const snapshot = await new ConsoleFeed(s.base, pino({ level: 'silent' })).snapshot()
    assert.equal(snapshot.lag, null)
    assert.equal(snapshot.outbox, null)
    assert.equal(snapshot.owners, null)
    assert.equal(snapshot.deadLetters, '1')
  })

  it('reads only while someone listens, and gives every listener the same snapshots', async () => {
    let reads = 0
    const s = sources()
    const feed = new ConsoleFeed(
      {
        ...s.base,
        readTotal: (...args) => {
          reads++
          return s.base.readTotal(...args)
        },
      },
      pino({ level: 'silent' }),
      20,
    )
    const seen: string[][] = [[], []]
    const stops = seen.map((list) => feed.subscribe((snapshot) => list.push(snapshot.at)))
    await new Promise((resolve) => setTimeout(resolve, 120))
    for (const stop of stops) stop()
    const readsAtStop = reads
    await new Promise((resolve) => setTimeout(resolve, 80))
    assert.equal(reads, readsAtStop, 'no reads once nobody listens')
    assert.ok(seen[0]!.length >= 2)
    assert.deepEqual(seen[0]!.slice(0, seen[1]!.length), seen[1])
  })
})
