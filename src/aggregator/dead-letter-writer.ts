import { findErrorBy, type Message } from '@platformatic/kafka'
import type { Counter } from 'prom-client'
import type { RawProducer } from '../shared/kafka.ts'
import type { Logger } from '../shared/logger.ts'
import { backoffMs, sleep } from '../shared/sleep.ts'
import type { StoredDeadLetter } from './db/store-dead-letters.ts'
import { DeadLetterOutcomes } from './dead-letter-outcomes.ts'
import {
  type DeadLetterRecord,
  deadLetterCopy,
  deadLetterReference,
  producerHeaders,
  sha256Hex,
} from './dead-letter-record.ts'
import type { PartitionProgress } from './partition-progress.ts'

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

export interface Poison {
  message: RawMessage
  reason: string
}

/**
 * The broker's answers that no retry of the same record can change: too
 * large, refused by the topic's policy, or not allowed. Kafka marks them not
 * retriable; the client's ProtocolError carries the name as `apiId`.
 */
const refusals = [
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
  'POLICY_VIOLATION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
] as const

/**
 * A missing topic is retriable to Kafka (it may be being created), and the
 * client reports it as a plain user error. With topic auto-creation off it
 * stays missing, so after this many failed tries the broker is asked whether
 * the topic exists; a broker that answers without it is a refusal.
 */
const missingTopicTries = 2
export const topicMissing = 'UNKNOWN_TOPIC_OR_PARTITION'

/** The broker's name for a refusal, or undefined. */
function refusalOf(error: unknown): string | undefined {
  const candidate = error instanceof Error ? error : undefined
  for (const id of refusals) if (findErrorBy(candidate, 'apiId', id)) return id
  return undefined
}

export interface DeadLetterWriterOptions {
  producer: RawProducer
  deadLetterTopic: string
  topic: string
  counter: Counter
  progress: PartitionProgress
  /** Whether the broker lists a topic; rejects when the broker cannot be asked (an outage). */
  topicExists: (topic: string) => Promise<boolean>
  log: Logger
}

/**
 * Writes dead letters so that no record can stop its partition:
 *
 *   copy  --refused-->  reference  --refused-->  stored (PostgreSQL)
 *
 * The copy is the original key, value and headers; the reference (small)
 * says where the original is and its size and SHA-256; what even the
 * reference cannot be written as is returned to be stored in dead_letters by
 * the transaction that passes its offset. A refusal is an answer from the
 * broker that retrying cannot change (too large, missing topic, not
 * allowed). Anything else (broker down, not enough replicas, timeouts) is an
 * outage, not poison: retried in place without bound, the partition shown as
 * stalled (PartitionProgress), and nothing is passed that is not written.
 */
export class DeadLetterWriter {
  readonly #options: DeadLetterWriterOptions

  constructor(options: DeadLetterWriterOptions) {
    this.#options = options
  }

  /** Writes each dead letter; returns those to store in PostgreSQL. */
  async write(poison: Poison[], signal: AbortSignal): Promise<StoredDeadLetter[]> {
    const stored: StoredDeadLetter[] = []
    for (const entry of poison) {
      const letter = await this.#writeOne(entry, signal)
      if (letter !== undefined) stored.push(letter)
    }
    return stored
  }

  async #writeOne({ message, reason }: Poison, signal: AbortSignal): Promise<StoredDeadLetter | undefined> {
    const { deadLetterTopic, topic, counter, log } = this.#options
    const where = { partition: message.partition, offset: message.offset.toString(), reason }
    const copy = await this.#send(deadLetterCopy(deadLetterTopic, topic, message, reason), signal)
    if (copy === undefined) {
      counter.inc({ outcome: DeadLetterOutcomes.published })
      log.warn({ ...where, deadLetterTopic }, 'poison record sent to the dead-letter topic')
      return undefined
    }
    const reference = await this.#send(deadLetterReference(deadLetterTopic, topic, message, reason), signal)
    if (reference === undefined) {
      counter.inc({ outcome: DeadLetterOutcomes.reference })
      log.warn(
        { ...where, deadLetterTopic, refusedBy: copy },
        'dead-letter topic refused the copy; a reference to the poison record was sent instead',
      )
      return undefined
    }
    counter.inc({ outcome: DeadLetterOutcomes.stored })
    log.error(
      { ...where, deadLetterTopic, refusedBy: reference },
      'dead-letter topic refused the poison record and its reference; it is kept in the dead_letters table',
    )
    const value = message.value ?? Buffer.alloc(0)
    return {
      partition: message.partition,
      offset: message.offset,
      reason,
      refusedBy: reference,
      key: message.key?.length ? message.key : null,
      value,
      headers: producerHeaders(message).map(([key, headerValue]) => ({
        key: key.toString(),
        value: headerValue.toString('base64'),
      })),
      size: value.length,
      sha256: sha256Hex(value),
    }
  }

  async #missing(topic: string): Promise<string | undefined> {
    const exists = await this.#options.topicExists(topic).catch(() => true)
    return exists ? undefined : topicMissing
  }

  /** Undefined once written; the broker's refusal otherwise. Outages are retried until `signal` aborts. */
  async #send(record: DeadLetterRecord, signal: AbortSignal): Promise<string | undefined> {
    const { producer, progress, log } = this.#options
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.send({ messages: [record] })
        return undefined
      } catch (error) {
        if (signal.aborted) throw error
        const refusal =
          refusalOf(error) ?? (attempt >= missingTopicTries ? await this.#missing(record.topic) : undefined)
        if (refusal !== undefined) return refusal
        progress.blockedBy(`writing a dead letter to ${record.topic} failed`)
        const delayMs = backoffMs(attempt, 200, 5000)
        log.warn({ err: error, attempt, delayMs }, 'writing a dead letter failed; retrying')
        await sleep(delayMs, signal)
      }
    }
  }
}
