import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from '../shared/logger.ts'
import { closeConsumer } from './close-consumer.ts'

const log = createLogger({ level: 'silent', service: 'aggregator' })

/** A consumer whose close fails `failures` times (LeaveGroup timing out), then succeeds. */
function consumerFailing(failures: number) {
  let calls = 0
  return {
    get calls() {
      return calls
    },
    close: async (force: boolean) => {
      assert.equal(force, true, 'closed with force: its streams are closed too')
      calls += 1
      if (calls <= failures) throw new Error('LeaveGroup timed out')
    },
  }
}

describe('closeConsumer', () => {
  it('tries again when leaving the group fails, so the consumer does not stay a member', async () => {
    const consumer = consumerFailing(2)
    await closeConsumer(consumer, log)
    assert.equal(consumer.calls, 3)
  })

  it('closes once when the first close works', async () => {
    const consumer = consumerFailing(0)
    await closeConsumer(consumer, log)
    assert.equal(consumer.calls, 1)
  })

  it('gives up after three attempts without throwing: a stop must go on', async () => {
    const consumer = consumerFailing(10)
    await closeConsumer(consumer, log)
    assert.equal(consumer.calls, 3)
  })
})
