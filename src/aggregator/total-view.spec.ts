import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Total } from './db/read-total.ts'
import { TotalView } from './total-view.ts'

const totalOf = (value: number): Total => ({
  total: String(value),
  appliedEvents: String(value),
  duplicateEvents: '0',
  poisonEvents: '0',
  lastAppliedAt: null,
})

/** A database whose reads finish when the test says so. */
function fakeReads() {
  let value = 0
  const pending: Array<() => void> = []
  return {
    reads: 0,
    commit(next: number) {
      value = next
    },
    read(this: { reads: number }): Promise<Total> {
      this.reads++
      const seen = value
      return new Promise((resolve) => pending.push(() => resolve(totalOf(seen))))
    },
    finishOne() {
      pending.shift()?.()
    },
    get waiting() {
      return pending.length
    },
  }
}

test('answers from memory until the total is older than its max age', async () => {
  let now = 0
  let reads = 0
  const view = new TotalView({ read: async () => totalOf(++reads), maxAgeMs: 1000, now: () => now })
  assert.equal((await view.read()).total, '1')
  now = 999
  assert.equal((await view.read()).total, '1')
  now = 1000
  assert.equal((await view.read()).total, '2')
  assert.equal(reads, 2)
})

test('a change signalled during a read queues exactly one more read, which sees it', async () => {
  const db = fakeReads()
  const seen: string[] = []
  const view = new TotalView({
    read: () => db.read(),
    onChange: (total) => seen.push(total.total),
    maxAgeMs: 60_000,
  })
  const first = view.refresh()
  db.commit(5)
  const second = view.refresh()
  const third = view.refresh()
  assert.equal(second, third, 'signals during a read share one follow-up read')
  assert.equal(db.waiting, 1, 'one read at a time')
  db.finishOne()
  assert.equal((await first).total, '0')
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(db.waiting, 1)
  db.finishOne()
  assert.equal((await second).total, '5')
  assert.equal(db.reads, 2)
  assert.deepEqual(seen, ['0', '5'])
  assert.equal((await view.read()).total, '5', 'then served from memory')
  assert.equal(db.reads, 2)
})

test('a failed read is not cached and the next reader tries again', async () => {
  let fail = true
  const view = new TotalView({
    read: async () => {
      if (fail) throw new Error('database down')
      return totalOf(7)
    },
    maxAgeMs: 60_000,
  })
  await assert.rejects(view.read(), /database down/)
  fail = false
  assert.equal((await view.read()).total, '7')
})
