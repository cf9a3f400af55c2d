import { type Admin, ListOffsetTimestamps } from '@platformatic/kafka'
import type { Sql } from '../shared/db.ts'
import type { AppliedEvent } from './db/apply-batch.ts'
import { readProgress } from './db/read-progress.ts'

export interface PartitionLag {
  partition: number
  /** Records on the broker not yet in the total: end offset − stored next offset. */
  offsets: number
  /**
   * How long the oldest unapplied record has been waiting, at most: now − the
   * accepted_at of the last event applied on the partition (the next record was
   * accepted no earlier, give or take clock skew between calculators). 0 when
   * caught up. If this process has applied nothing on the partition yet, the
   * time since the partition last committed is used instead.
   */
  seconds: number
}

export interface ConsumerLagOptions {
  admin: Admin
  sql: Sql
  topic: string
  /** Readings younger than this are reused: Prometheus and the console both ask. */
  maxAgeMs?: number
  now?: () => number
}

/**
 * Consumer lag measured against the offsets stored in PostgreSQL, which are the
 * truth (Kafka's committed offsets are only informational in summa), and the
 * broker's end offsets (ListOffsets, LATEST).
 */
export class ConsumerLag {
  readonly #options: ConsumerLagOptions
  readonly #lastAcceptedAt = new Map<number, number>()
  #reading: { at: number; value: Promise<PartitionLag[]> } | undefined

  constructor(options: ConsumerLagOptions) {
    this.#options = options
  }

  /** Called after each committed batch with the events it applied. */
  noteApplied(events: readonly AppliedEvent[]): void {
    for (const event of events) {
      const at = event.acceptedAt.getTime()
      if (at > (this.#lastAcceptedAt.get(event.partition) ?? 0)) this.#lastAcceptedAt.set(event.partition, at)
    }
  }

  read(): Promise<PartitionLag[]> {
    const now = (this.#options.now ?? Date.now)()
    const cached = this.#reading
    if (cached !== undefined && now - cached.at < (this.#options.maxAgeMs ?? 500)) return cached.value
    const value = this.#measure(now)
    this.#reading = { at: now, value }
    value.catch(() => {
      if (this.#reading?.value === value) this.#reading = undefined
    })
    return value
  }

  async #measure(now: number): Promise<PartitionLag[]> {
    const { admin, sql, topic } = this.#options
    const metadata = await admin.metadata({ topics: [topic] })
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0
    if (count === 0) return []
    const [listed, progress] = await Promise.all([
      admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: Array.from({ length: count }, (_, partitionIndex) => ({
              partitionIndex,
              timestamp: ListOffsetTimestamps.LATEST,
            })),
          },
        ],
      }),
      readProgress(sql, topic),
    ])
    const stored = new Map(progress.map((row) => [row.partition, row]))
    const ends = listed.find((entry) => entry.name === topic)?.partitions ?? []
    return ends
      .map((end) => {
        const row = stored.get(end.partitionIndex)
        const offsets = Number(end.offset - (row?.nextOffset ?? 0n))
        if (offsets <= 0) return { partition: end.partitionIndex, offsets: 0, seconds: 0 }
        const since = this.#lastAcceptedAt.get(end.partitionIndex) ?? row?.updatedAt.getTime() ?? now
        return { partition: end.partitionIndex, offsets, seconds: Math.max(0, (now - since) / 1000) }
      })
      .sort((a, b) => a.partition - b.partition)
  }
}
