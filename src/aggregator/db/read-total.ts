import type { Sql } from '../../shared/db.ts'

export interface Total {
  /** Exact decimal integer: the sum of every applied event, never rounded. */
  total: string
  appliedEvents: string
  duplicateEvents: string
  poisonEvents: string
  lastAppliedAt: Date | null
}

/** The running total is the sum of the per-partition subtotals. */
export async function readTotal(sql: Sql, topic: string): Promise<Total> {
  const [row] = await sql<
    { total: string; applied: string; duplicates: string; poison: string; last_applied_at: Date | null }[]
  >`
    select coalesce(sum(subtotal), 0)::text as total,
           coalesce(sum(applied_count), 0)::text as applied,
           coalesce(sum(duplicate_count), 0)::text as duplicates,
           coalesce(sum(poison_count), 0)::text as poison,
           max(updated_at) filter (where applied_count > 0) as last_applied_at
    from partition_totals where topic = ${topic}`
  return {
    total: row?.total ?? '0',
    appliedEvents: row?.applied ?? '0',
    duplicateEvents: row?.duplicates ?? '0',
    poisonEvents: row?.poison ?? '0',
    lastAppliedAt: row?.last_applied_at ?? null,
  }
}
