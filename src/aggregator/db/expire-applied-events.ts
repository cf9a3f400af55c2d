import type { Sql } from '../../shared/db.ts'
import { deleteInBatches } from '../../shared/delete-in-batches.ts'

/**
 * Deletes applied-event ids older than the retention, a bounded number at a
 * time. An id is kept while its event's outbox row exists: the relay may send
 * that event again, and only the id recognises the copy.
 */
export function expireAppliedEvents(sql: Sql, retentionHours: number, limit = 10_000): Promise<number> {
  return deleteInBatches(() => expireAppliedEventsStep(sql, retentionHours, limit), limit)
}

async function expireAppliedEventsStep(sql: Sql, retentionHours: number, limit = 10_000): Promise<number> {
  const result = await sql`
    delete from applied_events where event_id in (
      select a.event_id from applied_events a
      where a.applied_at < now() - make_interval(secs => ${retentionHours * 3600})
        and not exists (select 1 from outbox o where o.event_id = a.event_id)
      limit ${limit})`
  return result.count
}
