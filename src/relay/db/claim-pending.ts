import type { Sql, TransactionSql } from 'postgres'
import { deleteInBatches } from '../../shared/delete-in-batches.ts'

export interface OutboxRow {
  id: string
  event_id: string
  message_key: string
  payload: string
  traceparent: string | null
  /** The calculator's summa-signature header value; null on rows written before signing existed. */
  signature: string | null
}

/**
 * Claims up to `limit` unpublished rows inside the caller's transaction. Row
 * locks with SKIP LOCKED let several relays claim disjoint rows at once, and
 * because the filter is "not yet published" rather than "id above a cursor", a
 * row whose transaction commits after a row with a higher id is still found on
 * the next pass: the BIGSERIAL-cursor bug cannot happen.
 */
export function claimPending(tx: TransactionSql, limit: number): Promise<OutboxRow[]> {
  return tx<OutboxRow[]>`
    select id, event_id, message_key, payload, traceparent, signature
    from outbox
    where published_at is null
    order by id
    limit ${limit}
    for update skip locked`
}

/** Marks claimed rows published; only called after the broker acknowledged them. */
export async function markPublished(tx: TransactionSql, ids: string[]): Promise<void> {
  await tx`update outbox set published_at = clock_timestamp() where id = any(${ids}::int8[])`
}

/**
 * Deletes published rows older than the retention once their event has been
 * applied, a bounded number at a time. Keeping the rest is what lets the
 * aggregator tell a re-created topic that lost nothing from one that did.
 */
export function deletePublished(sql: Sql, retentionHours: number, limit = 10_000): Promise<number> {
  return deleteInBatches(() => deletePublishedStep(sql, retentionHours, limit), limit)
}

async function deletePublishedStep(sql: Sql, retentionHours: number, limit = 10_000): Promise<number> {
  const result = await sql`
    delete from outbox where id in (
      select o.id from outbox o
      where o.published_at < now() - make_interval(secs => ${retentionHours * 3600})
        and exists (select 1 from applied_events a where a.event_id = o.event_id)
      limit ${limit})`
  return result.count
}

export interface OutboxBacklog {
  pending: number
  oldestAgeSeconds: number
}

export async function outboxBacklog(sql: Sql): Promise<OutboxBacklog> {
  const [row] = await sql<{ pending: string; oldest_age_s: number | null }[]>`
    select count(*) as pending,
           extract(epoch from clock_timestamp() - min(created_at))::float8 as oldest_age_s
    from outbox where published_at is null`
  return { pending: Number(row?.pending ?? 0), oldestAgeSeconds: row?.oldest_age_s ?? 0 }
}
