import type { Sql } from '../../shared/db.ts'

/**
 * Every applied_events row of `topic`, as request id → the sum of each event
 * applied for it: each accepted request has one event, so two entries for one
 * request id mean it was applied twice.
 */
export async function appliedSumsByRequest(sql: Sql, topic: string): Promise<Map<string, bigint[]>> {
  const applied = new Map<string, bigint[]>()
  const rows = await sql<{ request_id: string; sum: string }[]>`
    select request_id, sum from applied_events where topic = ${topic}`
  for (const row of rows) {
    const sums = applied.get(row.request_id) ?? []
    sums.push(BigInt(row.sum))
    applied.set(row.request_id, sums)
  }
  return applied
}
