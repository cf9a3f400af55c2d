import type { Sql } from '../../shared/db.ts'
import { deleteInBatches } from '../../shared/delete-in-batches.ts'

/**
 * Deletes idempotency keys older than the retention, a bounded number at a time
 * so a large backlog never holds long locks. After this, a retry with an
 * expired id counts as a new request: the documented contract.
 */
export function expireRequests(sql: Sql, retentionHours: number, limit = 10_000): Promise<number> {
  return deleteInBatches(() => expireRequestsStep(sql, retentionHours, limit), limit)
}

async function expireRequestsStep(sql: Sql, retentionHours: number, limit = 10_000): Promise<number> {
  const result = await sql`
    delete from add_requests where request_id in (
      select request_id from add_requests
      where accepted_at < now() - make_interval(secs => ${retentionHours * 3600})
      limit ${limit})`
  return result.count
}
