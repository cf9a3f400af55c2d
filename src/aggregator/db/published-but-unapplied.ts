import type { Sql } from '../../shared/db.ts'

/** Events the relay published that no aggregator has applied (yet). */
export async function publishedButUnapplied(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from outbox o, relay_cursor c
    where c.name = 'outbox'
      and (o.transaction_id is null or (o.transaction_id, o.id) <= (c.transaction_id, c.outbox_id))
      and not exists (select 1 from applied_events a where a.event_id = o.event_id)`
  return row?.n ?? 0
}
