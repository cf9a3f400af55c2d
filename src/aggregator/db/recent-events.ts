import type { Sql } from '../../shared/db.ts'

export interface RecentEvent {
  seq: string
  eventId: string
  partition: number
  offset: string
  sum: string
  acceptedAt: string
  appliedAt: string
}

/** The latest applied events, newest first (applied_events_seq index). */
export async function recentEvents(sql: Sql, limit: number): Promise<RecentEvent[]> {
  const rows = await sql<
    {
      seq: string
      event_id: string
      partition: number
      offset: string
      sum: string
      accepted_at: Date
      applied_at: Date
    }[]
  >`
    select seq, event_id, partition, "offset", sum, accepted_at, applied_at
    from applied_events order by seq desc limit ${limit}`
  return rows.map((row) => ({
    seq: row.seq,
    eventId: row.event_id,
    partition: row.partition,
    offset: row.offset,
    sum: row.sum,
    acceptedAt: row.accepted_at.toISOString(),
    appliedAt: row.applied_at.toISOString(),
  }))
}
