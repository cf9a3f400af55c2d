import type { Sql } from 'postgres'

export interface OutboxBacklog {
  pending: number
  oldestAgeSeconds: number
}

/**
 * Rows after the relay's cursor (not yet published) and the age of the oldest: what the relay still has
 * to send, for its backlog gauges and the live console.
 */
export async function outboxBacklog(sql: Sql): Promise<OutboxBacklog> {
  const [row] = await sql<{ pending: string; oldest_age_s: number | null }[]>`
    select count(*) as pending,
           extract(epoch from clock_timestamp() - min(created_at))::float8 as oldest_age_s
    from outbox o, relay_cursor c
    where c.name = 'outbox' and (o.transaction_id, o.id) > (c.transaction_id, c.outbox_id)`
  return { pending: Number(row?.pending ?? 0), oldestAgeSeconds: row?.oldest_age_s ?? 0 }
}
