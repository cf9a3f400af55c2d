import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { type AcceptRow, acceptRequests } from '../../src/calculator/db/accept-requests.ts'
import { expireRequests } from '../../src/calculator/db/expire-requests.ts'
import { testSigningKey } from '../helpers/event-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import { calculatorClient, createTestSystem, getJson, startTestPipeline } from '../helpers/system.ts'

interface TotalBody {
  total: string
  appliedEvents: string
}

describe('request and event identity', () => {
  it('counts every id the calculator accepts, and an id reused after its retention as a new Add', async (t) => {
    const system = await createTestSystem(t)
    const config = { ...system.config, SUMMA_REPLAY_CACHE_SIZE: 0 }
    const { calculator, aggregator } = await startTestPipeline(t, config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    const expectTotal = (total: string, applied: string) =>
      eventually(async () => {
        const { body } = await getJson<TotalBody>(aggregator.running.httpPort, '/total')
        assert.deepEqual([body.total, body.appliedEvents], [total, applied])
      })

    // Valid as PostgreSQL uuids, though not RFC 9562 UUIDs (no version or variant bits).
    for (const requestId of [
      '00000000-0000-0000-0000-000000000001',
      '12345678-1234-1234-1234-123456789ABC',
    ]) {
      await client.add({ requestId, num1: '1', num2: '1' })
    }
    await expectTotal('4', '2')

    const reused = randomUUID()
    await client.add({ requestId: reused, num1: '10', num2: '0' })
    await expectTotal('14', '3')
    await system.db
      .sql`update add_requests set accepted_at = now() - interval '25 hours' where request_id = ${reused}`
    assert.equal(await expireRequests(system.db.sql, 24), 1)
    const again = await client.add({ requestId: reused, num1: '20', num2: '0' })
    assert.equal(again.replayed, false, 'after the retention the id is free again')
    await expectTotal('34', '4')
  })

  it('writes one request and one event for the same id twice in one batch, in any order across batches', async (t) => {
    const system = await createTestSystem(t)
    const row = (requestId: string, num1: bigint): AcceptRow => ({
      requestId,
      num1,
      num2: 0n,
      sum: num1,
      acceptedAt: new Date(),
      traceparent: null,
    })
    const id = randomUUID()
    const results = await acceptRequests(system.db.sql, [row(id, 1n), row(id, 2n)], testSigningKey)
    assert.deepEqual(
      results.map((result) => ('inserted' in result ? [result.inserted, result.num1] : result)),
      [
        [true, 1n],
        [false, 1n],
      ],
    )
    // Two replicas whose batches hold the same ids in opposite order.
    for (let round = 0; round < 30; round++) {
      const ids = Array.from({ length: 20 }, () => randomUUID())
      const reversed = [...ids].reverse()
      await Promise.all([
        acceptRequests(
          system.db.sql,
          ids.map((i) => row(i, 1n)),
          testSigningKey,
        ),
        acceptRequests(
          system.db.sql,
          reversed.map((i) => row(i, 1n)),
          testSigningKey,
        ),
      ])
    }
    const [counts] = await system.db.sql<{ requests: number; events: number }[]>`
      select (select count(*)::int from add_requests) as requests, (select count(*)::int from outbox) as events`
    assert.deepEqual(counts, { requests: 601, events: 601 })
  })

  it('clears a retention backlog larger than one delete step in one run', async (t) => {
    const system = await createTestSystem(t)
    await system.db.sql`
      insert into add_requests (request_id, num1, num2, sum, accepted_at)
      select gen_random_uuid(), 1, 1, 2, now() - interval '2 days' from generate_series(1, 25)`
    assert.equal(await expireRequests(system.db.sql, 24, 10), 25)
  })
})
