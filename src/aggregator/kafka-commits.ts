import type { Message } from '@platformatic/kafka'
import type { Logger } from '../shared/logger.ts'

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

/**
 * Commits consumed offsets to Kafka. Informational only (lag tools read it);
 * PostgreSQL's offsets are the ones that count. So at most once per interval,
 * not per batch: each commit is a write to __consumer_offsets that costs the
 * broker CPU, and lag tools can well be a second behind.
 */
export class KafkaCommits {
  /** Last message per partition not yet committed. */
  readonly #uncommitted = new Map<number, RawMessage>()
  #lastCommitAt = 0
  readonly #intervalMs: number
  readonly #log: Logger

  constructor(intervalMs: number, log: Logger) {
    this.#intervalMs = intervalMs
    this.#log = log
  }

  note(batch: RawMessage[]): void {
    for (const message of batch) this.#uncommitted.set(message.partition, message)
    const now = Date.now()
    if (now - this.#lastCommitAt < this.#intervalMs) return
    this.#lastCommitAt = now
    for (const message of this.#uncommitted.values()) {
      Promise.resolve(message.commit()).catch((error: unknown) =>
        this.#log.debug({ err: error, partition: message.partition }, 'kafka offset commit failed'),
      )
    }
    this.#uncommitted.clear()
  }

  /** Messages of a closed stream cannot be committed any more. */
  forget(): void {
    this.#uncommitted.clear()
  }
}
