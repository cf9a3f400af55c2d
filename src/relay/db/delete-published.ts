import type { Sql } from 'postgres'
import { deleteInBatches } from '../../shared/delete-in-batches.ts'

/**
 * Deletes published rows older than the retention once their event has been
 * applied, a bounded number at a time. Keeping the rest is what lets the
 * aggregator tell a re-created topic that lost nothing from one that did.
 * Published means at or below the relay's cursor, or published before the
 * cursor existed (no transaction id).
 */
export function deletePublished(sql: Sql, retentionHours: number, limit = 10_000): Promise<number> {
  return deleteInBatches(() => deletePublishedStep(sql, retentionHours, limit), limit)
}

async function deletePublishedStep(sql: Sql, retentionHours: number, limit = 10_000): Promise<number> {
  const result = await sql`
    delete from outbox where id in (
      select o.id from outbox o, relay_cursor c
      where c.name = 'outbox'
        and (o.transaction_id is null or (o.transaction_id, o.id) <= (c.transaction_id, c.outbox_id))
        and o.created_at < now() - make_interval(secs => ${retentionHours * 3600})
        and exists (select 1 from applied_events a where a.event_id = o.event_id)
      limit ${limit})`
  return result.count
}
