import type { TransactionSql } from 'postgres'

/** Where the relay's last committed pass stopped: the outbox position of the last event it published. */
export interface OutboxPosition {
  transactionId: string
  outboxId: string
}

/**
 * Takes the relay cursor for the caller's transaction, or answers undefined
 * when another relay holds it: SKIP LOCKED, so a standby relay finds out at
 * once and waits for its next turn instead of queueing behind a pass. Holding
 * the row until commit is what lets only one relay publish at a time.
 */
export async function lockCursor(tx: TransactionSql): Promise<OutboxPosition | undefined> {
  const [row] = await tx<{ transaction_id: string; outbox_id: string }[]>`
    select transaction_id::text, outbox_id from relay_cursor where name = 'outbox' for update skip locked`
  return row === undefined ? undefined : { transactionId: row.transaction_id, outboxId: row.outbox_id }
}
