import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import { GroupCommit } from './group-commit.ts'

describe('GroupCommit', () => {
  it('commits concurrent submissions together and answers each with its own result', async () => {
    const batches: number[][] = []
    const group = new GroupCommit<number, number>({
      commit: async (batch) => {
        batches.push(batch)
        return batch.map((n) => n * 2)
      },
      maxRows: 100,
      waitMs: 0,
      maxInFlight: 1,
      maxQueued: 1000,
    })
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => group.submit(n)))
    assert.deepEqual(results, [2, 4, 6, 8, 10])
    assert.deepEqual(batches, [[1, 2, 3, 4, 5]])
  })

  it('splits at maxRows and never exceeds maxInFlight', async () => {
    let inFlight = 0
    let peak = 0
    const sizes: number[] = []
    const group = new GroupCommit<number, number>({
      commit: async (batch) => {
        inFlight++
        peak = Math.max(peak, inFlight)
        sizes.push(batch.length)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inFlight--
        return batch
      },
      maxRows: 10,
      waitMs: 0,
      maxInFlight: 2,
      maxQueued: 1000,
    })
    const values = Array.from({ length: 95 }, (_, i) => i)
    assert.deepEqual(await Promise.all(values.map((n) => group.submit(n))), values)
    assert.ok(sizes.every((size) => size <= 10))
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      95,
    )
    assert.ok(peak <= 2, `peak ${peak}`)
    await group.drain()
  })

  it('rejects every member of a failed batch, and later batches still work', async () => {
    let fail = true
    const group = new GroupCommit<number, number>({
      commit: async (batch) => {
        if (fail) throw new Error('database down')
        return batch
      },
      maxRows: 10,
      waitMs: 0,
      maxInFlight: 1,
      maxQueued: 100,
    })
    const failed = await Promise.allSettled([group.submit(1), group.submit(2)])
    assert.deepEqual(
      failed.map((r) => r.status),
      ['rejected', 'rejected'],
    )
    fail = false
    assert.equal(await group.submit(3), 3)
  })

  it('refuses new work with UNAVAILABLE once the queue is full', async () => {
    let release: () => void = () => {}
    const group = new GroupCommit<number, number>({
      commit: (batch) => new Promise((resolve) => (release = () => resolve(batch))),
      maxRows: 1,
      waitMs: 0,
      maxInFlight: 1,
      maxQueued: 2,
    })
    const first = group.submit(1)
    await new Promise((resolve) => setImmediate(resolve))
    const queued = [group.submit(2), group.submit(3)]
    await assert.rejects(group.submit(4), (error: unknown) => {
      assert.ok(error instanceof SummaError)
      assert.equal(error.code, ErrorCodes.UNAVAILABLE)
      return true
    })
    release()
    assert.equal(await first, 1)
    for (const pending of queued) {
      await new Promise((resolve) => setImmediate(resolve))
      release()
      await pending
    }
    await group.drain()
  })
})
