import type { Span } from '@opentelemetry/api'
import type { Sql } from '../shared/db.ts'
import type { RawProducer } from '../shared/kafka.ts'
import type { Logger } from '../shared/logger.ts'
import { pipelinedTransaction } from '../shared/pipelined-transaction.ts'
import { retryCause } from '../shared/retry-log.ts'
import { backoffMs, sleep } from '../shared/sleep.ts'
import { eventHeaders } from '../shared/sum-event.ts'
import { type ActiveTracing, semconv, spanKinds, spanStatusError } from '../shared/telemetry/tracing.ts'
import { moveCursor } from './db/move-cursor.ts'
import { type OutboxRow, readAfter } from './db/read-after.ts'
import { type OutboxPosition, takeCursor } from './db/take-cursor.ts'
import type { RelayMetrics } from './relay-metrics.ts'

/** Batches one pass may publish before it commits: the backlog goes out in passes of up to this many. */
const batchesPerPass = 4

/**
 * The waits after a pass that left rows behind the watermark: the first, then
 * doubling while they stay there, up to the longest (or the poll period, if
 * shorter). The transaction holding them may be anyone's on the server and
 * send no NOTIFY when it ends: without this, its end would reach Kafka only at
 * the next poll. Each look takes the cursor, a commit with a WAL flush, so a
 * hold of minutes costs four of them a second rather than fifty.
 */
const heldBackWaitsMs = { first: 20, longest: 250 }

export interface OutboxRelayOptions {
  sql: Sql
  producer: RawProducer
  topic: string
  batchSize: number
  /** Fallback poll period: LISTEN/NOTIFY is only a hint and can be missed across reconnects. */
  pollIntervalMs: number
  /**
   * How long a pass waits after being woken, so that the commits arriving in
   * the meantime share its transaction and its produce request (Kafka's
   * linger.ms, one hop earlier). Every hop downstream pays per batch, not per
   * event: fewer, fuller batches are what keeps the pipeline's CPU down.
   */
  lingerMs: number
  metrics: RelayMetrics
  log: Logger
  /** Undefined when tracing is off: the stored traceparent is then sent as is. */
  tracing?: ActiveTracing | undefined
  /**
   * Every wait of the loop (poll, linger, backoff) goes through this: resolves
   * after `ms`, or early when `signal` aborts. The real timer unless a test
   * passes a fake clock that decides when each wait ends.
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

/**
 * Moves outbox rows to Kafka. State machine of one pass:
 *
 *   idle --(NOTIFY | poll timer)--> taking the cursor and reading after it --(held by another relay)--> idle
 *                                     | (rows)                     | (no rows): idle
 *                                  producing --(ack)--> moving the cursor --> commit
 *                                     | (error): rollback, the cursor stays, back off
 *
 * and of the loop around the passes (run):
 *
 *   passing --(no full batch)--> idle --(wake | poll timer | stop)--> lingering (lingerMs) --> passing
 *      |  |  \--(rows held behind the watermark)--> held back --(wake | 20 ms, doubling up to 250 ms
 *      |  |                                             while they stay held | stop)--> lingering
 *      |  \--(a full batch: backlog)--> passing, without waiting
 *      \--(a pass failed)--> backing off (exponential, jittered) --> passing
 *
 * Stopping (the signal aborting) cuts every wait short and ends the loop; a
 * pass in flight always completes (commits or rolls back) first.
 *
 * A pass reads the rows after the cursor in commit order (db/read-after.ts)
 * and moves the cursor past them in the same transaction, only after the
 * broker acknowledged them (acks=all, idempotent producer): one row written
 * per batch, none per event. A crash between the ack and the commit re-sends
 * the batch: at-least-once to Kafka, which the aggregator turns into
 * exactly-once by event id. The cursor row is locked for the whole pass, so
 * relays take turns and never publish one range twice at once.
 */
export class OutboxRelay {
  readonly #options: OutboxRelayOptions
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>
  #wakeRequested = false
  #wakeWaiter: (() => void) | undefined

  constructor(options: OutboxRelayOptions) {
    this.#options = options
    this.#sleep = options.sleep ?? sleep
  }

  /** Asks for a pass as soon as possible (called on NOTIFY). */
  wake(): void {
    this.#wakeRequested = true
    this.#wakeWaiter?.()
  }

  /** Runs passes until `signal` aborts; the passes in progress always complete. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0
    let heldBackWaitMs = heldBackWaitsMs.first
    while (!signal.aborted) {
      let pass: PassOutcome
      try {
        pass = await this.#pass(signal)
        failures = 0
      } catch (error) {
        failures++
        this.#options.metrics.publishErrors.inc()
        const delayMs = backoffMs(failures)
        this.#options.log.warn(
          { ...retryCause(failures, error), attempt: failures, delayMs },
          'relay pass failed; rows stay pending',
        )
        await this.#sleep(delayMs, signal)
        continue
      }
      // A pass that ended on a full batch left more waiting: go again without sleeping.
      if (pass.backlog) continue
      const { pollIntervalMs, lingerMs } = this.#options
      if (pass.heldBack) {
        await this.#waitForWork(signal, Math.min(heldBackWaitMs, pollIntervalMs))
        heldBackWaitMs = Math.min(heldBackWaitMs * 2, heldBackWaitsMs.longest)
      } else {
        await this.#waitForWork(signal, pollIntervalMs)
        heldBackWaitMs = heldBackWaitsMs.first
      }
      if (lingerMs > 0) await this.#sleep(lingerMs, signal)
    }
  }

  /**
   * One pass: take the cursor, read after it, produce, move it, commit. Returns
   * how many events were published (0 also when another relay holds the cursor).
   */
  async publishOnce(): Promise<number> {
    return (await this.#pass()).published
  }

  /**
   * A pass publishes up to `batchesPerPass` batches while they come full (a
   * backlog): the next batch is read while the one before is with the broker,
   * and the cursor moves once, past the last acknowledged, when the pass
   * commits; stopping ends it after the batch in flight. A failed send rolls
   * the whole pass back, and what was acknowledged before it is sent again
   * (at-least-once, as any re-send).
   */
  async #pass(signal?: AbortSignal): Promise<PassOutcome> {
    const { sql, batchSize } = this.#options
    // Cleared before the read so a NOTIFY that arrives during the pass triggers another.
    this.#wakeRequested = false
    let heldBack = false
    const { published, backlog } = await pipelinedTransaction(sql, async (tx) => {
      const taken = await takeCursor(tx, batchSize)
      if (taken === undefined) return { value: { published: 0, backlog: false } }
      heldBack = taken.heldBack
      let rows = taken.rows
      let published = 0
      for (let batch = 1; rows.length > 0; batch++) {
        const sending = this.#send(rows)
        const last = positionOf(rows[rows.length - 1]!)
        const more = rows.length === batchSize
        const next = more && batch < batchesPerPass ? readAfter(tx, last, batchSize) : undefined
        // Awaited below; handled here too, so that a send failing first leaves no rejection unhandled.
        next?.catch(() => {})
        await sending
        published += rows.length
        // Stopping ends the pass at the batch in flight, like a pass of one batch.
        if (next === undefined || signal?.aborted === true) {
          return { value: { published, backlog: more }, last: [moveCursor(tx, last)] }
        }
        rows = await next
        // Every batch of the pass was full and the next read came back empty.
        if (rows.length === 0) return { value: { published, backlog: false }, last: [moveCursor(tx, last)] }
      }
      return { value: { published, backlog: false } }
    })
    return { published, backlog, heldBack }
  }

  /** Produces one batch (acks=all), with a PRODUCER span per event when tracing. */
  async #send(rows: OutboxRow[]): Promise<void> {
    const { producer, topic, metrics } = this.#options
    const tracing = this.#options.tracing
    const spans = tracing === undefined ? undefined : sendSpans(tracing, rows, topic)
    const stopTimer = metrics.publishSeconds.startTimer()
    try {
      await producer.send({
        messages: rows.map((row, index) => {
          const span = spans?.[index]
          const traceparent =
            span === undefined || tracing === undefined ? row.traceparent : tracing.inject(span)
          return toMessage(row, topic, traceparent)
        }),
      })
    } catch (error) {
      for (const span of spans ?? []) {
        span.setStatus({ code: spanStatusError, message: String(error) })
        span.end()
      }
      throw error
    }
    stopTimer()
    for (const span of spans ?? []) span.end()
    metrics.batchSize.observe(rows.length)
    metrics.published.inc(rows.length)
  }

  /** Until wake(), `ms` or the stop signal, whichever comes first. */
  async #waitForWork(signal: AbortSignal, ms: number): Promise<void> {
    if (this.#wakeRequested || signal.aborted) return
    // One controller per wait, aborted by wake() or by the stop signal: the
    // sleep's timer is cleared either way, so no timer outlives its wait.
    const woken = new AbortController()
    const stop = (): void => woken.abort()
    signal.addEventListener('abort', stop, { once: true })
    this.#wakeWaiter = stop
    try {
      await this.#sleep(ms, woken.signal)
    } finally {
      signal.removeEventListener('abort', stop)
      this.#wakeWaiter = undefined
    }
  }
}

/**
 * One PRODUCER span per message, "send <topic>", parented on the context the
 * calculator stored with the event: the OpenTelemetry messaging conventions
 * make the producer span the message's creation context, which goes in the
 * Kafka `traceparent` header, so the consumer's span joins the same trace.
 */
function sendSpans(tracing: ActiveTracing, rows: OutboxRow[], topic: string): Span[] {
  return rows.map((row) =>
    tracing.tracer.startSpan(
      `send ${topic}`,
      {
        kind: spanKinds.producer,
        attributes: {
          [semconv.messagingSystem]: 'kafka',
          [semconv.messagingOperationType]: 'send',
          [semconv.messagingOperationName]: 'send',
          [semconv.messagingDestination]: topic,
          [semconv.messagingMessageId]: row.event_id,
          [semconv.messagingKafkaKey]: row.message_key,
          'summa.outbox.id': row.id,
        },
      },
      tracing.extract(row.traceparent),
    ),
  )
}

interface PassOutcome {
  published: number
  /** It ended on a full batch: more rows are waiting. */
  backlog: boolean
  /** Committed rows were left behind the watermark (db/take-cursor.ts). */
  heldBack: boolean
}

function positionOf(row: OutboxRow): OutboxPosition {
  return { transactionId: row.transaction_id, outboxId: row.id }
}

// Header keys and the constant content type, made once rather than per message.
const headerKeys = {
  eventId: Buffer.from(eventHeaders.eventId),
  contentType: Buffer.from(eventHeaders.contentType),
  traceparent: Buffer.from(eventHeaders.traceparent),
  signature: Buffer.from(eventHeaders.signature),
}
const jsonContentType = Buffer.from('application/json')

function toMessage(row: OutboxRow, topic: string, traceparent: string | null) {
  // A Map, not a plain object: the raw producer serialises header keys only from Buffers.
  const headers = new Map<Buffer, Buffer>([
    [headerKeys.eventId, Buffer.from(row.event_id)],
    [headerKeys.contentType, jsonContentType],
  ])
  if (traceparent !== null) headers.set(headerKeys.traceparent, Buffer.from(traceparent))
  if (row.signature !== null) headers.set(headerKeys.signature, Buffer.from(row.signature))
  return { topic, key: Buffer.from(row.message_key), value: Buffer.from(row.payload), headers }
}
