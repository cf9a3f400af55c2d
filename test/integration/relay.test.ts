import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { OutboxRelay, type OutboxRelayOptions } from '../../src/relay/outbox-relay.ts'
import { createRelayMetrics } from '../../src/relay/relay-metrics.ts'
import type { Sql } from '../../src/shared/db.ts'
import { createProducer } from '../../src/shared/kafka.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { createRegistry } from '../../src/shared/metrics.ts'
import { sleep } from '../../src/shared/sleep.ts'
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
  overrides: Partial<OutboxRelayOptions> = {},
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
    ...overrides,
  })
}

/**
 * Runs passes until `expected` rows went out, and never more. The watermark is the
 * whole server's oldest running transaction, so a write transaction of another test
 * file on the shared cluster can hold these rows back for a while: wait for it,
 * don't assume the first pass sees them.
 */
async function publishAll(relay: OutboxRelay, expected: number): Promise<void> {
  let published = 0
  await eventually(async () => {
    published += await relay.publishOnce()
    assert.ok(published <= expected, `${published} published, more than the ${expected} written`)
    assert.equal(published, expected, 'the late row and every row after it')
  })
}

/**
 * Opens a transaction, runs `first` in it and keeps it open until `end()`, or
 * until the test ends: the watermark is the whole server's, so a transaction
 * left open would hold back the relays of every other test file.
 */
async function holdTransaction<T>(
  t: { after: (fn: () => unknown) => void },
  sql: Sql,
  first: (tx: Sql) => Promise<T>,
): Promise<{ value: T; end: () => Promise<void> }> {
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  let started: (value: T) => void = () => {}
  const value = new Promise<T>((resolve) => (started = resolve))
  const transaction = sql.begin(async (tx) => {
    started(await first(tx as unknown as Sql))
    await released
  })
  const end = async (): Promise<void> => {
    release()
    await transaction
  }
  // A failing `first` fails the test through the race, not again in its cleanup.
  defer(t, () => end().catch(() => {}))
  return { value: await Promise.race([value, transaction.then(() => value)]), end }
}

describe('outbox relay', () => {
  it('publishes a row whose transaction commits after rows with higher ids', async (t) => {
    const system = await createTestSystem(t)
    const { sql } = system.db
    const relay = relayFor(t, sql, system.topic)

    // The long transaction takes its id first, then stays open.
    const long = await holdTransaction(t, sql, (tx) => insertEvent(tx))
    const longId = long.value
    const shortIds = []
    for (let i = 0; i < 20; i++) shortIds.push(await insertEvent(sql))

    // Every row waits behind the open transaction, which could still commit
    // below them: the watermark holds the relay back rather than let it pass one.
    assert.equal(await relay.publishOnce(), 0, 'the uncommitted row is invisible, and nothing passes it')
    await long.end()
    await publishAll(relay, 21)
    assert.equal(await relay.publishOnce(), 0)

    const records = await readTopic(system.topic, 21)
    const ids = records.map((record) => record.headers['summa-event-id'])
    assert.equal(new Set(ids).size, 21)
    assert.deepEqual(new Set(ids), new Set([...shortIds, longId]))
  })

  it('publishes rows held back by a transaction that never wrote to the outbox once it ends, without NOTIFY or poll', async (t) => {
    const system = await createTestSystem(t)
    const { sql } = system.db
    // Holds an xid, as any write elsewhere on the server would; its end notifies no relay.
    const unrelated = await holdTransaction(t, sql, (tx) => tx`select pg_current_xact_id()`)
    const id = await insertEvent(sql)

    // No wake() (nothing listens here) and a poll period far beyond the test: only the relay's
    // own look-again after a held-back pass can publish the row.
    const waits: number[] = []
    const relay = relayFor(t, sql, system.topic, [kafkaBootstrap()], {
      pollIntervalMs: 600_000,
      sleep: (ms, signal) => {
        waits.push(ms)
        return sleep(ms, signal)
      },
    })
    const stop = new AbortController()
    const running = relay.run(stop.signal)
    defer(t, async () => {
      stop.abort()
      await running
    })
    await eventually(() => assert.ok(waits.includes(20), `waits so far: ${waits.join(', ')}`))
    assert.equal(await pendingEvents(sql), 1, 'held while the older transaction runs')
    await unrelated.end()
    // Within the wait, so not by the poll.
    await eventually(async () => assert.equal(await pendingEvents(sql), 0))
    const [record] = await readTopic(system.topic, 1)
    assert.equal(record!.headers['summa-event-id'], id)
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
    // Until the watermark passes the rows the relay has nothing to send, and so no reason to fail.
    await eventually(() => assert.rejects(unreachable.publishOnce()))
    assert.equal(await pendingEvents(sql), 10, 'a failed publish leaves every row pending')
    const relay = relayFor(t, sql, system.topic)
    await publishAll(relay, 10)
    assert.equal(await pendingEvents(sql), 0)
  })

  it('is woken by NOTIFY rather than by its poll timer, and sends key, event id and trace context', async (t) => {
    const system = await createTestSystem(t)
    const { sql } = system.db
    // A poll period far longer than the wait below: only NOTIFY can explain a fast publish.
    await startTestRelay(t, { ...system.config, SUMMA_RELAY_POLL_INTERVAL_MS: 600_000 })
    await eventually(async () => assert.equal(await pendingEvents(sql), 0))
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const id = await insertEvent(sql, traceparent)
    // Within the wait, far short of the poll period. Not much shorter: another test file's
    // write transaction on the same server may hold the row behind the watermark a while.
    await eventually(async () => assert.equal(await pendingEvents(sql), 0), 15_000, 10)
    const [record] = await readTopic(system.topic, 1)
    assert.equal(record!.key, JSON.parse(record!.value).requestId, 'keyed by request id')
    assert.equal(record!.headers['summa-event-id'], id)
    assert.equal(record!.headers.traceparent, traceparent)
    assert.equal(record!.headers['content-type'], 'application/json')
  })
})
