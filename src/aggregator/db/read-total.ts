import type { Sql } from '../../shared/db.ts'
import { deleteInBatches } from '../../shared/delete-in-batches.ts'
import type { AppliedEventRow } from './apply-batch.ts'

export interface Total {
  /** Exact decimal integer: the sum of every applied event, never rounded. */
  total: string
  appliedEvents: string
  duplicateEvents: string
  poisonEvents: string
  lastAppliedAt: Date | null
}

/** The running total is the sum of the per-partition subtotals. */
export async function readTotal(sql: Sql, topic: string): Promise<Total> {
  const [row] = await sql<
    { total: string; applied: string; duplicates: string; poison: string; last_applied_at: Date | null }[]
  >`
    select coalesce(sum(subtotal), 0)::text as total,
           coalesce(sum(applied_count), 0)::text as applied,
           coalesce(sum(duplicate_count), 0)::text as duplicates,
           coalesce(sum(poison_count), 0)::text as poison,
           max(updated_at) filter (where applied_count > 0) as last_applied_at
    from partition_totals where topic = ${topic}`
  return {
    total: row?.total ?? '0',
    appliedEvents: row?.applied ?? '0',
    duplicateEvents: row?.duplicates ?? '0',
    poisonEvents: row?.poison ?? '0',
    lastAppliedAt: row?.last_applied_at ?? null,
  }
}

/** Stored next offsets, where the aggregator resumes after a restart. */
export async function readOffsets(sql: Sql, topic: string): Promise<Map<number, bigint>> {
  const rows = await sql<{ partition: number; next_offset: string }[]>`
    select partition, next_offset from partition_totals where topic = ${topic}`
  return new Map(rows.map((row) => [row.partition, BigInt(row.next_offset)]))
}

/** The Kafka topic ids the stored offsets were recorded against (normally one). */
export async function storedTopicIds(sql: Sql, topic: string): Promise<string[]> {
  const rows = await sql<{ topic_id: string }[]>`
    select distinct topic_id from partition_totals where topic = ${topic} and topic_id is not null`
  return rows.map((row) => row.topic_id)
}

/** Applied events after `seq`, for rebuilding the audit log's tail. */
export function appliedSince(sql: Sql, seq: string, limit: number) {
  return sql<Array<AppliedEventRow & { topic: string }>>`
    select seq, event_id, request_id, topic, partition, "offset", sum, accepted_at, applied_at
    from applied_events where seq > ${seq}::int8 order by seq limit ${limit}`
}

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
