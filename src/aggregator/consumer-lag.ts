import { type Admin, ListOffsetTimestamps } from '@platformatic/kafka'
import type { AppliedEvent } from '../shared/audit/applied-event.ts'
import type { Sql } from '../shared/db.ts'
import { readOffsets } from './db/read-offsets.ts'

export interface PartitionLag {
  partition: number
  /** Records on the broker not yet in the total: end offset − stored next offset. */
  offsets: number
  /**
   * How long the oldest unapplied record has been waiting, estimated; 0 when
   * caught up. now − the later of: the acceptedAt of the last event this
   * process applied on the partition (the next record was accepted no earlier,
   * up to clock skew between calculators, so under steady traffic this bounds
   * the wait from above), and the moment this process first saw the partition
   * behind in the current stretch (which keeps a stale acceptedAt, after the
   * partition moved to another replica, from inflating the number).
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
  readonly #behindSince = new Map<number, number>()
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
    const [listed, stored] = await Promise.all([
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
      readOffsets(sql, topic),
    ])
    const ends = listed.find((entry) => entry.name === topic)?.partitions ?? []
    return ends
      .map((end) => {
        const partition = end.partitionIndex
        const offsets = Number(end.offset - (stored.get(partition) ?? 0n))
        if (offsets <= 0) {
          this.#behindSince.delete(partition)
          return { partition, offsets: 0, seconds: 0 }
        }
        if (!this.#behindSince.has(partition)) this.#behindSince.set(partition, now)
        const since = Math.max(
          this.#lastAcceptedAt.get(partition) ?? 0,
          this.#behindSince.get(partition) ?? now,
        )
        return { partition, offsets, seconds: Math.max(0, (now - since) / 1000) }
      })
      .sort((a, b) => a.partition - b.partition)
  }
}
