import type { TransactionSql } from 'postgres'
import type { OutboxPosition } from './lock-cursor.ts'

/** Moves the cursor to the last row published; only called after the broker acknowledged the batch. */
export async function moveCursor(tx: TransactionSql, to: OutboxPosition): Promise<void> {
  await tx`
    update relay_cursor set transaction_id = ${to.transactionId}::xid8, outbox_id = ${to.outboxId}::int8,
      updated_at = clock_timestamp()
    where name = 'outbox'`
}
