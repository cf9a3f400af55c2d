import { Consumer, type Message, MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka'
import type { Sql } from '../shared/db.ts'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import type { EventVerifier } from '../shared/event-signature.ts'
import type { KafkaConnection } from '../shared/kafka.ts'
import type { Logger } from '../shared/logger.ts'
import { retryCause } from '../shared/retry-log.ts'
import { backoffMs, sleep } from '../shared/sleep.ts'
import { type ActiveTracing, spanStatusError } from '../shared/telemetry/tracing.ts'
import type { AggregatorMetrics } from './aggregator-metrics.ts'
import { closeConsumer } from './close-consumer.ts'
import { type ApplyResult, applyBatch, type ConsumedRecord } from './db/apply-batch.ts'
import { readOffsets } from './db/read-offsets.ts'
import type { StoredDeadLetter } from './db/store-dead-letters.ts'
import type { DeadLetterWriter } from './dead-letter-writer.ts'
import { decodeBatch } from './decode-batch.ts'
import { inBatches } from './in-batches.ts'
import { KafkaCommits } from './kafka-commits.ts'
import type { PartitionProgress } from './partition-progress.ts'
import { endProcessSpans, startProcessSpans } from './process-spans.ts'
import { checkStoredOffsets } from './topic-guard.ts'

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

const kafkaCommitIntervalMs = 1000

export interface EventConsumerOptions {
  sql: Sql
  brokers: string[]
  /** TLS to the brokers, when configured. */
  connection?: KafkaConnection
  groupId: string
  /** Names this replica in the group (`summa-aggregator-<replica id>`). */
  clientId: string
  /** The takeover time after a crash (a graceful stop leaves the group at once). */
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  topic: string
  /** Only events signed by a key it knows are applied; the rest are dead-lettered. */
  verifier: EventVerifier
  deadLetters: DeadLetterWriter
  /** Told when partitions' records are read and when they are committed. */
  progress: PartitionProgress
  batchSize: number
  batchWaitMs: number
  metrics: AggregatorMetrics
  log: Logger
  /** Called after each committed batch, before the next one is read (sum.txt, audit log). */
  onApplied: (result: ApplyResult) => Promise<void>
  /** Undefined when tracing is off. */
  tracing?: ActiveTracing | undefined
}

/**
 * Reads the topic as a member of the consumer group and applies it in batches.
 *
 * Where it starts: the next offsets stored in PostgreSQL, read each time the
 * stream is (re)created, so a restart resumes exactly where the last committed
 * transaction left off. Kafka's own committed offsets are written afterwards for
 * the benefit of lag tools but never trusted. After a rebalance a partition may
 * be re-read from an older position; applyBatch skips what is below the stored
 * offset, so that costs time, never correctness.
 *
 * Failure handling: a failed apply (PostgreSQL down) is retried in place with
 * backoff, keeping group membership; a broken stream (Kafka down) is closed and
 * re-created with backoff.
 */
export class EventConsumer {
  readonly #options: EventConsumerOptions
  #dataLoss: SummaError | undefined
  #topicId: string | null = null
  readonly #kafkaCommits: KafkaCommits

  constructor(options: EventConsumerOptions) {
    this.#options = options
    this.#kafkaCommits = new KafkaCommits(kafkaCommitIntervalMs, options.log)
  }

  /** Set while the consumer refuses to go on because records were lost; cleared by progress. */
  get dataLoss(): SummaError | undefined {
    return this.#dataLoss
  }

  async run(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.#consume(signal, () => {
          attempt = 0
        })
      } catch (error) {
        if (signal.aborted) break
        const summa = SummaError.from(error)
        if (summa.code === ErrorCodes.DATA_LOSS) {
          // Not retried in place: an operator must look. Checked again now and then
          // in case the cause goes away (a broker brought back with its data).
          this.#dataLoss = summa
          this.#options.log.error(
            { err: summa },
            'refusing to apply: records the total depends on are missing',
          )
          await sleep(30_000, signal)
          continue
        }
        const delayMs = backoffMs(attempt, 200, 5000)
        this.#options.log.warn({ err: error, attempt, delayMs }, 'consumer stopped; re-creating it')
        await sleep(delayMs, signal)
      }
    }
  }

  async #consume(signal: AbortSignal, onProgress: () => void): Promise<void> {
    const { sql, brokers, connection, groupId, topic, batchSize, batchWaitMs, log } = this.#options
    const consumer = new Consumer({
      ...connection,
      groupId,
      clientId: this.#options.clientId,
      bootstrapBrokers: brokers,
      autocommit: false,
      maxWaitTime: 250,
      // At most 1 MiB per fetch (the client's default is 50 MiB): about 2,000 events, one batch's
      // worth. Catching up a backlog with the default held hundreds of MB of records at once.
      maxBytes: 1_048_576,
      // Classic protocol, the member's own session timeout (the broker's floor permitting);
      // why not KIP-848 or static membership: docs/RELIABILITY.md, "Replicas".
      sessionTimeout: this.#options.sessionTimeoutMs,
      rebalanceTimeout: Math.max(15_000, this.#options.sessionTimeoutMs),
      heartbeatInterval: this.#options.heartbeatIntervalMs,
      retries: 3,
      retryDelay: 250,
      timeout: 5000,
    })
    // One close, awaited by everyone: a second close() returns at once, before
    // the group has been left, and the process could exit too early.
    let closing: Promise<void> | undefined
    const close = (): Promise<void> => {
      closing ??= closeConsumer(consumer, log)
      return closing
    }
    const onAbort = (): void => {
      close()
    }
    try {
      const { topicId, stored } = await checkStoredOffsets(consumer, sql, topic)
      this.#topicId = topicId
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.MANUAL,
        offsets: [...stored].map(([partition, offset]) => ({ topic, partition, offset })),
        // A partition with no stored offset has never been applied: start at its beginning.
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      })
      // Shutdown may have begun while the stream was being set up; a listener
      // added to an aborted signal would never fire.
      if (signal.aborted) return
      this.#options.progress.forgetWaiting()
      log.info({ topic, storedPartitions: stored.size }, 'consuming')
      signal.addEventListener('abort', onAbort, { once: true })
      for await (const batch of inBatches<RawMessage>(stream, batchSize, batchWaitMs)) {
        await this.#handle(batch, signal)
        onProgress()
        if (signal.aborted) break
      }
    } finally {
      this.#kafkaCommits.forget()
      signal.removeEventListener('abort', onAbort)
      await close()
    }
  }

  async #handle(batch: RawMessage[], signal: AbortSignal): Promise<void> {
    const { metrics, progress } = this.#options
    const partitions = new Set(batch.map((message) => message.partition))
    progress.waiting(partitions)
    const { records, poison } = decodeBatch(batch, this.#options.verifier)
    const tracing = this.#options.tracing
    const spans =
      tracing === undefined
        ? undefined
        : startProcessSpans(tracing, batch, this.#options.topic, this.#options.groupId)
    let result: ApplyResult
    try {
      // Dead letters are written before the transaction that moves the offset past
      // them (those the topic refused are stored by that transaction): a crash in
      // between re-sends a dead letter, it never loses one. Only records above the
      // stored offset count: a re-read after a rebalance is not dead-lettered twice.
      let stored: StoredDeadLetter[] = []
      if (poison.length > 0) {
        const next = await readOffsets(this.#options.sql, this.#options.topic)
        const fresh = poison.filter(({ message }) => message.offset >= (next.get(message.partition) ?? 0n))
        if (fresh.length > 0) stored = await this.#options.deadLetters.write(fresh, signal)
      }
      metrics.batchSize.observe(records.length)
      result = await this.#apply(records, batch, signal, stored)
      this.#dataLoss = undefined
      progress.advanced(partitions)
    } catch (error) {
      for (const span of spans ?? []) {
        span.setStatus({ code: spanStatusError, message: String(error) })
        span.end()
      }
      throw error
    }
    if (spans !== undefined) endProcessSpans(spans, records, result)
    await this.#afterApply(batch, result)
  }

  async #afterApply(batch: RawMessage[], result: ApplyResult): Promise<void> {
    const { metrics } = this.#options
    const now = Date.now()
    for (const event of result.applied) {
      const seconds = (now - event.acceptedAt.getTime()) / 1000
      metrics.endToEndSeconds.observe(seconds)
      metrics.recentEndToEndSeconds.observe(seconds)
    }
    metrics.applied.inc(result.applied.length)
    if (result.duplicates > 0) metrics.duplicates.inc({ reason: 'event_id' }, result.duplicates)
    if (result.stale > 0) metrics.duplicates.inc({ reason: 'offset' }, result.stale)
    await this.#options.onApplied(result)
    this.#kafkaCommits.note(batch)
  }

  /**
   * Applies a batch, retrying transient failures in place (keeping group
   * membership). A batch PostgreSQL rejects for its data (SQLSTATE classes 22
   * and 23) is split in halves until the record at fault is found; that record
   * goes to the dead-letter topic and its offset is passed, so one bad record
   * cannot wedge a partition. Any other error is retried: it is more likely a
   * bug or an outage than bad data, and dead-lettering good events would be
   * worse than stopping.
   */
  async #apply(
    records: ConsumedRecord[],
    messages: RawMessage[],
    signal: AbortSignal,
    stored: StoredDeadLetter[],
  ): Promise<ApplyResult> {
    const { sql, topic, metrics, log } = this.#options
    for (let attempt = 1; ; attempt++) {
      const stopTimer = metrics.applySeconds.startTimer()
      try {
        const result = await applyBatch(sql, topic, records, this.#topicId, stored)
        metrics.recentApplySeconds.observe(stopTimer())
        if (result.conflicts.length === 0) return result
        return await this.#passConflicts(result, records, messages, signal, stored)
      } catch (error) {
        if (SummaError.from(error).code === ErrorCodes.DATA_LOSS) throw error
        if (isDataError(error)) return this.#isolate(records, messages, error, signal, stored)
        // Shutting down mid-outage: give up this batch; it was not committed and
        // will be read again from the stored offsets.
        if (signal.aborted) throw error
        this.#options.progress.blockedBy('applying a batch in PostgreSQL failed')
        const delayMs = backoffMs(attempt, 100, 5000)
        log.warn({ ...retryCause(attempt, error), attempt, delayMs }, 'applying a batch failed; retrying')
        await sleep(delayMs, signal)
      }
    }
  }

  /**
   * An event id applied before with other content is a conflict, not a
   * re-send: dead-letter those records and apply the batch without them.
   */
  async #passConflicts(
    result: ApplyResult,
    records: ConsumedRecord[],
    messages: RawMessage[],
    signal: AbortSignal,
    stored: StoredDeadLetter[],
  ): Promise<ApplyResult> {
    const at = (partition: number, offset: bigint) => `${partition}/${offset}`
    const reasons = new Map(result.conflicts.map((c) => [at(c.partition, c.offset), c.reason]))
    const poison = messages.flatMap((message) => {
      const reason = reasons.get(at(message.partition, message.offset))
      return reason === undefined ? [] : [{ message, reason }]
    })
    const more = await this.#options.deadLetters.write(poison, signal)
    const without = records.map((record) =>
      reasons.has(at(record.partition, record.offset)) ? { ...record, event: null } : record,
    )
    return this.#apply(without, messages, signal, [...stored, ...more])
  }

  async #isolate(
    records: ConsumedRecord[],
    messages: RawMessage[],
    error: unknown,
    signal: AbortSignal,
    stored: StoredDeadLetter[],
  ): Promise<ApplyResult> {
    if (records.length === 1) {
      const reason = `rejected by PostgreSQL: ${(error as Error).message}`
      const more = await this.#options.deadLetters.write([{ message: messages[0]!, reason }], signal)
      return this.#apply([{ ...records[0]!, event: null }], messages, signal, [...stored, ...more])
    }
    const middle = Math.ceil(records.length / 2)
    const first = await this.#apply(records.slice(0, middle), messages.slice(0, middle), signal, stored)
    const second = await this.#apply(records.slice(middle), messages.slice(middle), signal, stored)
    return {
      applied: [...first.applied, ...second.applied],
      duplicates: first.duplicates + second.duplicates,
      stale: first.stale + second.stale,
      poison: first.poison + second.poison,
      delta: first.delta + second.delta,
      conflicts: [],
    }
  }
}

/** PostgreSQL's data exceptions (22xxx) and integrity violations (23xxx): the row, not the server, is at fault. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)
}
