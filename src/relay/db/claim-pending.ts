import type { TransactionSql } from 'postgres'

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
