import type { Span } from '@opentelemetry/api'
import type { Sql } from '../shared/db.ts'
import type { RawProducer } from '../shared/kafka.ts'
import type { Logger } from '../shared/logger.ts'
import { retryCause } from '../shared/retry-log.ts'
import { backoffMs, sleep } from '../shared/sleep.ts'
import { eventHeaders } from '../shared/sum-event.ts'
import { type ActiveTracing, semconv, spanKinds, spanStatusError } from '../shared/telemetry/tracing.ts'
import { claimPending, type OutboxRow } from './db/claim-pending.ts'
import { markPublished } from './db/mark-published.ts'
import type { RelayMetrics } from './relay-metrics.ts'

/** Passes run at once while a backlog lasts (each holds one pooled connection). */
const backlogPasses = 2

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
 *   idle --(NOTIFY | poll timer)--> claiming --(rows)--> producing --(ack)--> marking --> commit
 *                                      |                    |
 *                                 (no rows): idle      (error): rollback, rows stay pending, back off
 *
 * and of the loop around the passes (run):
 *
 *   passing --(no full batch)--> idle --(wake | poll timer | stop)--> lingering (lingerMs) --> passing
 *      |  \--(a full batch: backlog)--> passing, two passes at once, without waiting
 *      \--(a pass failed)--> backing off (exponential, jittered) --> passing, one pass at once
 *
 * Stopping (the signal aborting) cuts every wait short and ends the loop; a
 * pass in flight always completes (commits or rolls back) first.
 *
 * A row is marked published in the same transaction that claimed it and only
 * after the broker acknowledged it (acks=all, idempotent producer). A crash
 * between the ack and the commit re-sends the batch: at-least-once to Kafka,
 * which the aggregator turns into exactly-once by event id.
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
    let backlog = false
    while (!signal.aborted) {
      let published: number[]
      try {
        // While a backlog lasts, passes overlap: SKIP LOCKED gives each its own rows,
        // so one batch is being produced while the next is claimed and marked.
        const passes = await Promise.allSettled(
          Array.from({ length: backlog ? backlogPasses : 1 }, () => this.publishOnce()),
        )
        const failed = passes.find((pass) => pass.status === 'rejected')
        if (failed !== undefined) throw failed.reason
        published = passes.map((pass) => (pass as PromiseFulfilledResult<number>).value)
        failures = 0
      } catch (error) {
        failures++
        backlog = false
        this.#options.metrics.publishErrors.inc()
        const delayMs = backoffMs(failures)
        this.#options.log.warn(
          { ...retryCause(failures, error), attempt: failures, delayMs },
          'relay pass failed; rows stay pending',
        )
        await this.#sleep(delayMs, signal)
        continue
      }
      // A full batch means more is probably waiting: go again without sleeping.
      backlog = published.some((count) => count >= this.#options.batchSize)
      if (!backlog) {
        await this.#waitForWork(signal)
        if (this.#options.lingerMs > 0) await this.#sleep(this.#options.lingerMs, signal)
      }
    }
  }

  /** One pass: claim, produce, mark, commit. Returns how many events were published. */
  async publishOnce(): Promise<number> {
    const { sql, producer, topic, batchSize, metrics } = this.#options
    // Cleared before the claim so a NOTIFY that arrives during the pass triggers another.
    this.#wakeRequested = false
    return sql.begin(async (tx) => {
      const rows = await claimPending(tx, batchSize)
      if (rows.length === 0) return 0
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
      await markPublished(
        tx,
        rows.map((row) => row.id),
      )
      metrics.batchSize.observe(rows.length)
      metrics.published.inc(rows.length)
      return rows.length
    })
  }

  /** Until wake(), the poll interval or the stop signal, whichever comes first. */
  async #waitForWork(signal: AbortSignal): Promise<void> {
    if (this.#wakeRequested || signal.aborted) return
    // One controller per wait, aborted by wake() or by the stop signal: the
    // sleep's timer is cleared either way, so no timer outlives its wait.
    const woken = new AbortController()
    const stop = (): void => woken.abort()
    signal.addEventListener('abort', stop, { once: true })
    this.#wakeWaiter = stop
    try {
      await this.#sleep(this.#options.pollIntervalMs, woken.signal)
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

function toMessage(row: OutboxRow, topic: string, traceparent: string | null) {
  // A Map, not a plain object: the raw producer serialises header keys only from Buffers.
  const headers = new Map<Buffer, Buffer>([
    [Buffer.from(eventHeaders.eventId), Buffer.from(row.event_id)],
    [Buffer.from(eventHeaders.contentType), Buffer.from('application/json')],
  ])
  if (traceparent !== null) headers.set(Buffer.from(eventHeaders.traceparent), Buffer.from(traceparent))
  if (row.signature !== null) headers.set(Buffer.from(eventHeaders.signature), Buffer.from(row.signature))
  return { topic, key: Buffer.from(row.message_key), value: Buffer.from(row.payload), headers }
}
