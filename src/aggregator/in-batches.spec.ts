import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inBatches } from './in-batches.ts'

async function* slow(values: number[], gapMs: number): AsyncGenerator<number> {
  for (const value of values) {
    await new Promise((resolve) => setTimeout(resolve, gapMs))
    yield value
  }
}

describe('inBatches', () => {
  it('cuts batches at maxSize', async () => {
    const batches: number[][] = []
    for await (const batch of inBatches(slow([1, 2, 3, 4, 5], 0), 2, 1000)) batches.push(batch)
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]])
  })

  it('still collects already-buffered items when maxWaitMs is 0', async () => {
    async function* buffered(): AsyncGenerator<number> {
      yield* [1, 2, 3, 4, 5]
    }
    const batches: number[][] = []
    for await (const batch of inBatches(buffered(), 10, 0)) batches.push(batch)
    assert.deepEqual(batches, [[1, 2, 3, 4, 5]])
  })

  it('closes a batch after maxWaitMs and loses no item that was being read', async () => {
    const values = Array.from({ length: 12 }, (_, i) => i)
    const batches: number[][] = []
    for await (const batch of inBatches(slow(values, 8), 100, 10)) batches.push(batch)
    assert.ok(batches.length > 1, 'the timer should have closed batches early')
    assert.deepEqual(batches.flat(), values)
  })
})
