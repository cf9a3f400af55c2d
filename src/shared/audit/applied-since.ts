import type { Sql } from '../db.ts'
import type { AppliedEventRow } from './applied-event.ts'

/** Applied events after `seq`, for rebuilding the audit log's tail. */
export function appliedSince(sql: Sql, seq: string, limit: number) {
  return sql<Array<AppliedEventRow & { topic: string }>>`
    select seq, event_id, request_id, topic, partition, "offset", sum, accepted_at, applied_at
    from applied_events where seq > ${seq}::int8 order by seq limit ${limit}`
}
