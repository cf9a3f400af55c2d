import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { OutboxRelay } from '../../src/relay/outbox-relay.ts'
import { createRelayMetrics } from '../../src/relay/relay-metrics.ts'
import type { Sql } from '../../src/shared/db.ts'
import { createProducer } from '../../src/shared/kafka.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { createRegistry } from '../../src/shared/metrics.ts'
import { encodeSumEvent } from '../../src/shared/sum-event.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { kafkaBootstrap, readTopic, testKafkaConnection } from '../helpers/kafka.ts'
import { pendingEvents } from '../helpers/outbox.ts'
import { createTestSystem, startTestRelay } from '../helpers/system.ts'

const log = createLogger({ level: 'silent', service: 'relay-test' })

/** Inserts one outbox event the way the calculator does (the relay only sees the outbox). */
async function insertEvent(sql: Sql, traceparent: string | null = null): Promise<string> {
  const requestId = randomUUID()
  const eventId = randomUUID()
  const payload = encodeSumEvent({
    v: 1,
    eventId,
    requestId,
    num1: '1',
    num2: '2',
    sum: '3',
    acceptedAt: new Date().toISOString(),
  })
  await sql`insert into outbox (event_id, message_key, payload, traceparent)
            values (${eventId}, ${requestId}, ${payload}, ${traceparent})`
  return eventId
}

function relayFor(
  t: { after: (fn: () => unknown) => void },
  sql: Sql,
  topic: string,
  brokers = [kafkaBootstrap()],
) {
  const producer = createProducer(brokers, 'summa-relay-test', testKafkaConnection())
  defer(t, () => producer.close())
  const metrics = createRelayMetrics(createRegistry('relay-test', false), async () => ({
    pending: 0,
    oldestAgeSeconds: 0,
  }))
  return new OutboxRelay({
    sql,
    producer,
    topic,
    batchSize: 100,
    pollIntervalMs: 100,
    lingerMs: 0,
    metrics,
    log,
  })
}

describe('outbox relay', () => {
  it('publishes a row whose transaction commits after rows with higher ids', async (t) => {
    const system = await createTestSystem(t)
    const { sql } = system.db
    const relay = relayFor(t, sql, system.topic)

    // The long transaction takes its id first, then stays open.
    let releaseLong: () => void = () => {}
    let longId = ''
    const longTransaction = sql.begin(async (tx) => {
      longId = await insertEvent(tx as unknown as Sql)
      await new Promise<void>((resolve) => (releaseLong = resolve))
    })
    await eventually(() => assert.notEqual(longId, ''))
    const shortIds = []
    for (let i = 0; i < 20; i++) shortIds.push(await insertEvent(sql))

    // Every row waits behind the open transaction, which could still commit
    // below them: the watermark holds the relay back rather than let it pass one.
    assert.equal(await relay.publishOnce(), 0, 'the uncommitted row is invisible, and nothing passes it')
    releaseLong()
    await longTransaction
    assert.equal(await relay.publishOnce(), 21, 'once it ends, the late row and every row after it')
    assert.equal(await relay.publishOnce(), 0)

    const records = await readTopic(system.topic, 21)
    const ids = records.map((record) => record.headers['summa-event-id'])
    assert.equal(new Set(ids).size, 21)
    assert.deepEqual(new Set(ids), new Set([...shortIds, longId]))
  })

  it('interleaves many short and long transactions with concurrent relays: nothing skipped or sent twice', async (t) => {
    const system = await createTestSystem(t)
    const { sql } = system.db
    const relays = [relayFor(t, sql, system.topic), relayFor(t, sql, system.topic)]
    const stop = new AbortController()
    const running = relays.map((relay) => relay.run(stop.signal))

    const written = new Set<string>()
    const longOnes = Array.from({ length: 8 }, (_, i) =>
      sql.begin(async (tx) => {
        written.add(await insertEvent(tx as unknown as Sql))
        await new Promise((resolve) => setTimeout(resolve, 100 + i * 100))
      }),
    )
    const shortOnes = Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 30; i++) written.add(await insertEvent(sql))
    })
    await Promise.all([...longOnes, ...shortOnes])
    await eventually(async () => assert.equal(await pendingEvents(sql), 0))
    stop.abort()
    await Promise.all(running)

    const records = await readTopic(system.topic, written.size)
    const ids = records.map((record) => record.headers['summa-event-id']!)
    assert.equal(ids.length, written.size)
    assert.deepEqual(new Set(ids), written, 'every event once')
  })

  it('keeps rows pending while Kafka is unreachable and publishes them once it is back', async (t) => {
    const system = await createTestSystem(t)
    const { sql } = system.db
    for (let i = 0; i < 10; i++) await insertEvent(sql)
    const unreachable = relayFor(t, sql, system.topic, ['127.0.0.1:1'])
    await assert.rejects(unreachable.publishOnce())
    assert.equal(await pendingEvents(sql), 10, 'a failed publish leaves every row pending')
    const relay = relayFor(t, sql, system.topic)
    assert.equal(await relay.publishOnce(), 10)
    assert.equal(await pendingEvents(sql), 0)
  })

  it('is woken by NOTIFY rather than by its poll timer, and sends key, event id and trace context', async (t) => {
    const system = await createTestSystem(t)
    const { sql } = system.db
    // A poll period far longer than the wait below: only NOTIFY can explain a fast publish.
    await startTestRelay(t, { ...system.config, SUMMA_RELAY_POLL_INTERVAL_MS: 600_000 })
    await eventually(async () => assert.equal(await pendingEvents(sql), 0))
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const started = Date.now()
    const id = await insertEvent(sql, traceparent)
    await eventually(async () => assert.equal(await pendingEvents(sql), 0), 5000, 10)
    const elapsed = Date.now() - started
    assert.ok(elapsed < 5000, `published after ${elapsed} ms`)
    const [record] = await readTopic(system.topic, 1)
    assert.equal(record!.key, JSON.parse(record!.value).requestId, 'keyed by request id')
    assert.equal(record!.headers['summa-event-id'], id)
    assert.equal(record!.headers.traceparent, traceparent)
    assert.equal(record!.headers['content-type'], 'application/json')
  })
})
