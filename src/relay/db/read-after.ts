import type { Statements } from '../../shared/pipelined-transaction.ts'
import type { OutboxPosition } from './take-cursor.ts'

export interface OutboxRow {
  id: string
  /** The writing transaction's id (xid8, as text): with `id`, the row's position. */
  transaction_id: string
  event_id: string
  message_key: string
  payload: string
  traceparent: string | null
  /** The calculator's summa-signature header value; null on rows written before signing existed. */
  signature: string | null
}

/**
 * Up to `limit` rows after `after`, in (transaction id, id) order, written by
 * transactions older than every transaction still running. Those have all
 * ended, so every row below the returned ones is already visible and none can
 * appear there later: the cursor never passes a row, even one whose
 * transaction took an id early and committed late (it is read once it commits).
 * One index range scan (outbox_position); nothing is written to the rows.
 */
export function readAfter(tx: Statements, after: OutboxPosition, limit: number): Promise<OutboxRow[]> {
  return tx<OutboxRow[]>`
    select id, transaction_id::text, event_id, message_key, payload, traceparent, signature
    from outbox
    where (transaction_id, id) > (${after.transactionId}::xid8, ${after.outboxId}::int8)
      and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    order by transaction_id, id
    limit ${limit}`
}
