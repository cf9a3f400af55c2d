import type { Sql } from '../../shared/db.ts'

/** Stored next offsets, where the aggregator resumes after a restart. */
export async function readOffsets(sql: Sql, topic: string): Promise<Map<number, bigint>> {
  const rows = await sql<{ partition: number; next_offset: string }[]>`
    select partition, next_offset from partition_totals where topic = ${topic}`
  return new Map(rows.map((row) => [row.partition, BigInt(row.next_offset)]))
}
