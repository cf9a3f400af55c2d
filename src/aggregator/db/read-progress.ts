import type { Sql } from '../../shared/db.ts'

export interface PartitionProgress {
  partition: number
  /** The next offset to apply: everything below it is in the total. */
  nextOffset: bigint
  /** When the partition's row last changed (its last committed batch). */
  updatedAt: Date
}

/** The aggregator's stored position per partition: the truth consumer lag is measured against. */
export async function readProgress(sql: Sql, topic: string): Promise<PartitionProgress[]> {
  const rows = await sql<{ partition: number; next_offset: string; updated_at: Date }[]>`
    select partition, next_offset, updated_at from partition_totals where topic = ${topic}`
  return rows.map((row) => ({
    partition: row.partition,
    nextOffset: BigInt(row.next_offset),
    updatedAt: row.updated_at,
  }))
}
