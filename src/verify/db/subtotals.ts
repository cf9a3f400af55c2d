import type { Sql } from '../../shared/db.ts'

/** The sum of `topic`'s subtotals and of their event counts: what the total claims to hold. */
export async function subtotals(sql: Sql, topic: string): Promise<{ total: bigint; appliedCount: bigint }> {
  const [totals] = await sql<{ total: string; applied: string }[]>`
    select coalesce(sum(subtotal), 0)::text as total, coalesce(sum(applied_count), 0)::text as applied
    from partition_totals where topic = ${topic}`
  return { total: BigInt(totals?.total ?? '0'), appliedCount: BigInt(totals?.applied ?? '0') }
}
