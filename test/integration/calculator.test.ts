import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { Metadata, type ServiceError, status } from '@grpc/grpc-js'
import { expireRequests } from '../../src/calculator/db/expire-requests.ts'
import { healthCheck, listServices, rejectsWithStatus } from '../helpers/grpc.ts'
import { calculatorClient, createTestSystem, startTestCalculator } from '../helpers/system.ts'

const int64Max = (2n ** 63n - 1n).toString()

async function counts(sql: Awaited<ReturnType<typeof createTestSystem>>['db']['sql']) {
  const [row] = await sql<{ requests: number; events: number }[]>`
    select (select count(*)::int from add_requests) as requests, (select count(*)::int from outbox) as events`
  return row!
}

describe('calculator', () => {
  it('a call the client cancels ends CANCELLED; a retry with its id gets the sum, and the request is recorded once', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    await client.add({ requestId: randomUUID(), num1: '0', num2: '0' })
    // At once, and once the event loop has sent what it had: both before any answer can arrive.
    for (const when of ['at once', 'next turn'] as const) {
      const requestId = randomUUID()
      const error = await new Promise<ServiceError>((resolve, reject) => {
        const call = client.raw.Add(
          { requestId, num1: '2', num2: '3' },
          new Metadata(),
          { deadline: Date.now() + 5000 },
          (failure) =>
            failure ? resolve(failure as ServiceError) : reject(new Error('answered, not cancelled')),
        )
        if (when === 'at once') call.cancel()
        else setImmediate(() => call.cancel())
      })
      assert.equal(status[error.code], 'CANCELLED')
      // The calculator does not watch for cancels: an Add it received runs on and may commit
      // after the client gave up. A retry with the same id gets the sum either way, and the
      // request is recorded once.
      const retry = await client.add({ requestId, num1: '2', num2: '3' })
      assert.equal(retry.sum, '5')
      const [row] = await system.db.sql<{ requests: number; events: number }[]>`
        select (select count(*)::int from add_requests where request_id = ${requestId}) as requests,
               (select count(*)::int from outbox where payload::jsonb ->> 'requestId' = ${requestId}::text) as events`
      assert.deepEqual(row, { requests: 1, events: 1 })
      t.diagnostic(
        `cancelled ${when}: the retry was ${retry.replayed ? 'a replay' : 'the first to record it'}`,
      )
    }
  })

  it('answers the exact sum at once and records one event', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    const requestId = randomUUID()
    const answer = await client.add({ requestId, num1: '9223372036854775000', num2: '807' })
    assert.equal(answer.sum, int64Max)
    assert.equal(answer.requestId, requestId)
    assert.equal(answer.replayed, false)
    assert.ok(!Number.isNaN(Date.parse(answer.acceptedAt)))
    assert.deepEqual(await counts(system.db.sql), { requests: 1, events: 1 })
    const [event] = await system.db.sql<
      { payload: string; event_id: string }[]
    >`select payload, event_id from outbox`
    assert.deepEqual(JSON.parse(event!.payload), {
      v: 1,
      eventId: event!.event_id,
      requestId,
      num1: '9223372036854775000',
      num2: '807',
      sum: int64Max,
      acceptedAt: answer.acceptedAt,
    })
  })

  it('rejects bad input with a status and a message naming the field, and writes nothing', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    const overflow = await rejectsWithStatus(
      client.add({ requestId: randomUUID(), num1: int64Max, num2: '1' }),
      status.OUT_OF_RANGE,
    )
    assert.match(overflow.details, /int64/)
    const low = client.add({ requestId: randomUUID(), num1: (-(2n ** 63n)).toString(), num2: '-1' })
    await rejectsWithStatus(low, status.OUT_OF_RANGE)
    for (const requestId of ['', 'abc', `${randomUUID()}0`, 'ä'.repeat(36)]) {
      const error = await rejectsWithStatus(
        client.add({ requestId, num1: '1', num2: '2' }),
        status.INVALID_ARGUMENT,
      )
      assert.match(error.details, /request_id/)
    }
    assert.deepEqual(await counts(system.db.sql), { requests: 0, events: 0 })
  })

  it('replays an identical request and refuses the same id with other numbers', async (t) => {
    const system = await createTestSystem(t)
    // No cache: the replay must come from PostgreSQL.
    const config = { ...system.config, SUMMA_REPLAY_CACHE_SIZE: 0 }
    const calculator = await startTestCalculator(t, config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    const requestId = randomUUID()
    const first = await client.add({ requestId, num1: '5', num2: '7' })
    const again = await client.add({ requestId, num1: '5', num2: '7' })
    assert.deepEqual(again, { ...first, replayed: true })
    const conflict = await rejectsWithStatus(
      client.add({ requestId, num1: '5', num2: '8' }),
      status.ALREADY_EXISTS,
    )
    assert.match(conflict.details, /already used with other arguments/)
    assert.deepEqual(await counts(system.db.sql), { requests: 1, events: 1 })
  })

  it('turns a flood of concurrent duplicates across two replicas into one event', async (t) => {
    const system = await createTestSystem(t)
    const replicas = await Promise.all([
      startTestCalculator(t, system.config),
      startTestCalculator(t, system.config),
    ])
    const clients = replicas.map((replica) => calculatorClient(t, replica.running.grpcPort))
    const requestId = randomUUID()
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => clients[i % 2]!.add({ requestId, num1: '40', num2: '2' })),
    )
    assert.ok(answers.every((answer) => answer.sum === '42' && answer.acceptedAt === answers[0]!.acceptedAt))
    assert.equal(answers.filter((answer) => !answer.replayed).length, 1)
    assert.deepEqual(await counts(system.db.sql), { requests: 1, events: 1 })
  })

  it('serves reflection and grpc.health.v1', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const address = `127.0.0.1:${calculator.running.grpcPort}`
    const services = await listServices(address)
    assert.ok(services.includes('summa.v1.CalculatorService'), services.join())
    assert.ok(services.includes('grpc.health.v1.Health'), services.join())
    assert.equal(await healthCheck(address), 'SERVING')
    assert.equal(await healthCheck(address, 'summa.v1.CalculatorService'), 'SERVING')
  })

  it('forgets idempotency keys after the retention', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, { ...system.config, SUMMA_REPLAY_CACHE_SIZE: 0 })
    const client = calculatorClient(t, calculator.running.grpcPort)
    const [old, recent] = [randomUUID(), randomUUID()]
    await client.add({ requestId: old, num1: '1', num2: '1' })
    await client.add({ requestId: recent, num1: '1', num2: '1' })
    await system.db
      .sql`update add_requests set accepted_at = now() - interval '25 hours' where request_id = ${old}`
    assert.equal(await expireRequests(system.db.sql, 24), 1)
    const rows = await system.db.sql`select request_id from add_requests`
    assert.deepEqual(
      rows.map((row) => row.request_id),
      [recent],
    )
  })
})
