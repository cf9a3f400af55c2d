import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PartitionProgress } from './partition-progress.ts'

describe('PartitionProgress', () => {
  it('a partition is stalled from read until commit; readiness fails past the limit, with the cause', async () => {
    let now = 1_000
    const progress = new PartitionProgress(() => now)
    const check = progress.check(5_000)
    progress.waiting([1, 2])
    now += 3_000
    progress.waiting([1]) // a later batch does not reset how long partition 1 has waited
    assert.deepEqual(
      [...progress.stalledSeconds()],
      [
        [1, 3],
        [2, 3],
      ],
    )
    await check.check(AbortSignal.timeout(100))
    progress.advanced([2])
    progress.blockedBy('writing a dead letter to t.dlq failed')
    now += 2_500
    await assert.rejects(check.check(AbortSignal.timeout(100)), {
      message: 'partition 1 (6 s): no progress while records wait: writing a dead letter to t.dlq failed',
    })
    progress.advanced([1])
    assert.deepEqual(
      [...progress.stalledSeconds()],
      [
        [1, 0],
        [2, 0],
      ],
    )
    await check.check(AbortSignal.timeout(100))
  })

  it('a re-created stream forgets what it held', async () => {
    let now = 0
    const progress = new PartitionProgress(() => now)
    progress.waiting([0])
    now = 60_000
    progress.forgetWaiting()
    await progress.check(1_000).check(AbortSignal.timeout(100))
  })
})
