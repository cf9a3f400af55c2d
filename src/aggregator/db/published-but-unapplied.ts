import type { Sql } from '../../shared/db.ts'

/** Events the relay published that no aggregator has applied (yet). */
export async function publishedButUnapplied(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from outbox o
    where o.published_at is not null
      and not exists (select 1 from applied_events a where a.event_id = o.event_id)`
  return row?.n ?? 0
}
