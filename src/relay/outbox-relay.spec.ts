import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SpanStatusCode } from '@opentelemetry/api'
import { Registry } from 'prom-client'
import type { Sql } from '../shared/db.ts'
import type { RawProducer } from '../shared/kafka.ts'
import { createLogger } from '../shared/logger.ts'
import { eventHeaders } from '../shared/sum-event.ts'
import { FakeClock, FakeOutbox, FakeProducer, headersOf, until } from './outbox-relay.fakes.ts'
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.ts'
import { createRelayMetrics } from './relay-metrics.ts'

// The relay's loop against fakes (outbox-relay.fakes.ts). The same loop on a real database
// and broker: test/integration/relay.test.ts.

const pollIntervalMs = 1000
const lingerMs = 5

function relayWith(overrides: Partial<OutboxRelayOptions> = {}) {
  const outbox = new FakeOutbox()
  const producer = new FakeProducer()
  const clock = new FakeClock()
  const metrics = createRelayMetrics(new Registry(), async () => ({ pending: 0, oldestAgeSeconds: 0 }))
  const relay = new OutboxRelay({
    sql: outbox.sql as unknown as Sql,
    producer: producer as unknown as RawProducer,
    topic: 'summa.sums.v1',
    batchSize: 100,
    pollIntervalMs,
    lingerMs,
    metrics,
    log: createLogger({ level: 'silent', service: 'relay' }),
    sleep: clock.sleep,
    ...overrides,
  })
  const stop = new AbortController()
  const running = relay.run(stop.signal)
  return { outbox, producer, clock, metrics, relay, stop, running }
}

async function counterValue(counter: { get: () => Promise<{ values: Array<{ value: number }> }> }) {
  return (await counter.get()).values[0]?.value ?? 0
}

describe('OutboxRelay', () => {
  it('idles on the poll interval when the outbox is empty', async () => {
    const { outbox, producer, clock, stop, running } = relayWith()
    const idle = await clock.waiting()
    assert.equal(idle.ms, pollIntervalMs)
    assert.equal(outbox.transactions, 1)
    assert.equal(producer.batches.length, 0)
    stop.abort()
    await running
  })

  it('wakes on notify, lingers, and publishes what committed meanwhile in one batch', async () => {
    const { outbox, producer, clock, relay, metrics, stop, running } = relayWith()
    await clock.waiting()
    outbox.add(1)
    relay.wake()
    const linger = await clock.waiting()
    assert.equal(linger.ms, lingerMs)
    assert.equal(producer.batches.length, 0, 'nothing is sent before the linger ends')
    outbox.add(2) // commits arriving during the linger share its batch
    linger.end()
    assert.equal((await clock.waiting()).ms, pollIntervalMs)
    assert.deepEqual(producer.eventIds(), [['event-1', 'event-2', 'event-3']])
    assert.equal(outbox.pending, 0)
    assert.equal(await counterValue(metrics.published), 3)
    stop.abort()
    await running
  })

  it('finds rows whose notification was missed when the poll interval ends', async () => {
    const { outbox, producer, clock, stop, running } = relayWith()
    const idle = await clock.waiting()
    outbox.add(2)
    idle.end()
    ;(await clock.waiting()).end() // the linger
    await clock.waiting()
    assert.deepEqual(producer.eventIds(), [['event-1', 'event-2']])
    stop.abort()
    await running
  })

  it('looks again soon while rows wait behind the watermark, backing off to 250 ms', async () => {
    const { outbox, producer, clock, relay, stop, running } = relayWith()
    await clock.waiting()
    outbox.add(1)
    outbox.holdBack() // an older transaction still runs: rows committed after it wait
    outbox.add(2)
    relay.wake()
    ;(await clock.waiting()).end() // the linger
    const waits = []
    for (let i = 0; i < 8; i++) {
      const wait = await clock.waiting()
      waits.push(wait.ms)
      wait.end()
      ;(await clock.waiting()).end() // the linger
    }
    assert.deepEqual(waits, [20, 40, 80, 160, 250, 250, 250, 250], 'doubling, up to 250 ms')
    assert.deepEqual(producer.eventIds(), [['event-1']], 'nothing passes the watermark')
    outbox.endHold() // with no NOTIFY: the transaction holding them never wrote to the outbox
    ;(await clock.waiting()).end()
    ;(await clock.waiting()).end() // the linger
    const idle = await clock.waiting()
    assert.equal(idle.ms, pollIntervalMs, 'nothing held: back to the poll interval')
    assert.deepEqual(producer.eventIds(), [['event-1'], ['event-2', 'event-3']])
    outbox.holdBack()
    outbox.add(1)
    idle.end()
    ;(await clock.waiting()).end() // the linger
    assert.equal((await clock.waiting()).ms, 20, 'a new hold starts from the shortest wait again')
    stop.abort()
    await running
  })

  it('takes a notify that arrives during a pass as a reason for another, without idling', async () => {
    const { outbox, producer, clock, relay, stop, running } = relayWith()
    await clock.waiting()
    producer.hold()
    outbox.add(1)
    relay.wake()
    ;(await clock.waiting()).end() // the linger
    await until(() => producer.heldSends === 1)
    outbox.add(1)
    relay.wake() // the pass in flight already claimed its rows: this one needs a pass of its own
    producer.release()
    const next = await clock.waiting()
    assert.equal(next.ms, lingerMs, 'straight to the linger, not to the poll interval')
    next.end()
    await until(() => producer.batches.length === 2)
    assert.deepEqual(producer.eventIds(), [['event-1'], ['event-2']])
    stop.abort()
    await running
  })

  it('drains a backlog in full batches, in order, without waiting', async () => {
    const { outbox, producer, clock, relay, stop, running } = relayWith({ batchSize: 2 })
    await clock.waiting()
    outbox.add(9)
    relay.wake()
    ;(await clock.waiting()).end() // the linger, once; the backlog passes follow without any
    const idle = await clock.waiting()
    assert.equal(idle.ms, pollIntervalMs)
    assert.equal(outbox.pending, 0)
    const sent = producer.eventIds().flat()
    assert.equal(sent.length, 9)
    assert.deepEqual(
      sent,
      Array.from({ length: 9 }, (_, i) => `event-${i + 1}`),
      'each row once, in outbox order',
    )
    assert.ok(producer.batches.every((batch) => batch.length <= 2))
    assert.equal(producer.peakInFlight, 1, 'one pass at a time: each starts at the cursor the last one moved')
    stop.abort()
    await running
  })

  it('publishes a backlog in passes of up to four batches, moving the cursor once per pass', async () => {
    const { outbox, producer, clock, relay, stop, running } = relayWith({ batchSize: 2 })
    await clock.waiting()
    outbox.add(9)
    const before = outbox.transactions
    assert.equal(await relay.publishOnce(), 8, 'four full batches in one pass')
    assert.equal(outbox.cursor, 8)
    assert.equal(await relay.publishOnce(), 1)
    assert.equal(outbox.transactions - before, 2)
    assert.deepEqual(
      producer.batches.map((batch) => batch.length),
      [2, 2, 2, 2, 1],
    )
    stop.abort()
    await running
  })

  it('rolls back a whole pass when one of its sends fails, and sends its batches again', async () => {
    const { outbox, producer, clock, relay, stop, running } = relayWith({ batchSize: 2 })
    await clock.waiting()
    outbox.add(6)
    producer.failures = [undefined, new Error('broker down')]
    await assert.rejects(relay.publishOnce(), /broker down/)
    assert.equal(outbox.cursor, 0, 'the cursor did not move')
    assert.equal(await relay.publishOnce(), 6)
    assert.deepEqual(producer.eventIds(), [
      ['event-1', 'event-2'],
      ['event-1', 'event-2'],
      ['event-3', 'event-4'],
      ['event-5', 'event-6'],
    ])
    stop.abort()
    await running
  })

  it('backs off on a failed send, leaving the rows pending, and recovers with the backoff reset', async () => {
    const { outbox, producer, clock, relay, metrics, stop, running } = relayWith()
    await clock.waiting()
    producer.failures = [new Error('broker down'), new Error('broker down')]
    outbox.add(2)
    relay.wake()
    ;(await clock.waiting()).end() // the linger
    const first = await clock.waiting()
    assert.ok(first.ms >= 50 && first.ms <= 100, `first backoff ${first.ms} ms`)
    assert.equal(outbox.pending, 2, 'the failed pass rolled back: its rows are pending')
    assert.equal(outbox.cursor, 0, 'the cursor did not move')
    first.end()
    const second = await clock.waiting()
    assert.ok(second.ms >= 100 && second.ms <= 200, `second backoff ${second.ms} ms`)
    assert.equal(await counterValue(metrics.publishErrors), 2)
    second.end()
    assert.equal((await clock.waiting()).ms, pollIntervalMs, 'recovered: idle again')
    assert.deepEqual(producer.eventIds(), [['event-1', 'event-2']])
    assert.equal(outbox.pending, 0)
    // A later failure starts from the first step again.
    producer.failures = [new Error('broker down')]
    outbox.add(1)
    relay.wake()
    ;(await clock.waiting()).end()
    const again = await clock.waiting()
    assert.ok(again.ms >= 50 && again.ms <= 100, `backoff after recovery ${again.ms} ms`)
    stop.abort()
    await running
  })

  it('publishes nothing while another relay holds the cursor, then goes on from where it moved it', async () => {
    const { outbox, producer, clock, relay, stop, running } = relayWith()
    await clock.waiting()
    const other = new OutboxRelay({
      sql: outbox.sql as unknown as Sql,
      producer: producer as unknown as RawProducer,
      topic: 'summa.sums.v1',
      batchSize: 100,
      pollIntervalMs,
      lingerMs: 0,
      metrics: createRelayMetrics(new Registry(), async () => ({ pending: 0, oldestAgeSeconds: 0 })),
      log: createLogger({ level: 'silent', service: 'relay' }),
    })
    outbox.add(2)
    producer.hold()
    const holding = other.publishOnce()
    await until(() => producer.heldSends === 1)
    assert.equal(await relay.publishOnce(), 0, 'the cursor is held: nothing read, nothing sent')
    producer.release()
    assert.equal(await holding, 2)
    outbox.add(1)
    assert.equal(
      await relay.publishOnce(),
      1,
      'after the other pass committed: only the row behind its cursor',
    )
    assert.deepEqual(producer.eventIds(), [['event-1', 'event-2'], ['event-3']])
    stop.abort()
    await running
  })

  it('on stop, lets the pass in flight complete and starts no other', async () => {
    const { outbox, producer, clock, relay, stop, running } = relayWith({ batchSize: 1 })
    await clock.waiting()
    producer.hold()
    outbox.add(3)
    relay.wake()
    ;(await clock.waiting()).end()
    await until(() => producer.heldSends === 1)
    stop.abort()
    let stopped = false
    void running.then(() => {
      stopped = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(stopped, false, 'run() waits for the sends in flight')
    producer.release()
    await running
    assert.equal(outbox.pending, 2, 'the claimed row was marked; the others wait for the next start')
    assert.equal(outbox.transactions, 2, 'no pass began after the stop')
  })

  it('stops at once from any wait: idle, linger or backoff', async () => {
    for (const phase of ['idle', 'linger', 'backoff'] as const) {
      const { outbox, producer, clock, relay, stop, running } = relayWith()
      await clock.waiting()
      if (phase !== 'idle') {
        if (phase === 'backoff') producer.failures = [new Error('broker down')]
        outbox.add(1)
        relay.wake()
        const linger = await clock.waiting()
        if (phase === 'backoff') linger.end()
        await clock.waiting()
      }
      stop.abort()
      await running
      assert.equal(clock.waits.length, 0, phase)
    }
  })

  it('sends each row with its event id, content type, stored traceparent and signature', async () => {
    const { outbox, producer, clock, relay, stop, running } = relayWith()
    await clock.waiting()
    outbox.add(2)
    relay.wake()
    ;(await clock.waiting()).end()
    await clock.waiting()
    const [first, second] = producer.batches[0]!
    assert.deepEqual(headersOf(first), {
      [eventHeaders.eventId]: 'event-1',
      [eventHeaders.contentType]: 'application/json',
      [eventHeaders.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [eventHeaders.signature]: 'v1=abc',
    })
    assert.deepEqual(headersOf(second), {
      [eventHeaders.eventId]: 'event-2',
      [eventHeaders.contentType]: 'application/json',
    })
    assert.equal(String(first?.key), 'key-1')
    assert.equal(String(first?.value), '{"id":1}')
    assert.equal(first?.topic, 'summa.sums.v1')
    stop.abort()
    await running
  })
})

describe('OutboxRelay with tracing', () => {
  it('sends the producer span as the traceparent, and ends the spans (in error when the send fails)', async () => {
    const spans: Array<{ name: string; parent: unknown; status?: unknown; ended: boolean }> = []
    const tracing = {
      tracer: {
        startSpan: (name: string, _options: unknown, parent: unknown) => {
          const span = { name, parent, ended: false } as (typeof spans)[number]
          spans.push(span)
          return {
            setStatus: (status: unknown) => {
              span.status = status
            },
            end: () => {
              span.ended = true
            },
          }
        },
      },
      extract: (traceparent: string | null | undefined) => `context of ${traceparent}`,
      inject: () => '00-11111111111111111111111111111111-2222222222222222-01',
    } as unknown as NonNullable<OutboxRelayOptions['tracing']>
    const { outbox, producer, clock, relay, stop, running } = relayWith({ tracing })
    await clock.waiting()
    producer.failures = [new Error('broker down')]
    outbox.add(1)
    relay.wake()
    ;(await clock.waiting()).end() // the linger
    ;(await clock.waiting()).end() // the backoff
    await clock.waiting()
    assert.equal(headersOf(producer.batches[0]?.[0])[eventHeaders.traceparent], tracing.inject({} as never))
    assert.equal(spans.length, 2, 'one span per attempt')
    assert.ok(spans.every((span) => span.ended && span.name === 'send summa.sums.v1'))
    assert.deepEqual(spans[0]?.status, { code: SpanStatusCode.ERROR, message: 'Error: broker down' })
    assert.equal(spans[1]?.status, undefined)
    assert.equal(spans[0]?.parent, 'context of 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
    stop.abort()
    await running
  })
})
