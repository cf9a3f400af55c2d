import type { Statements } from '../../shared/pipelined-transaction.ts'
import type { OutboxPosition } from './take-cursor.ts'

/**
 * Moves the cursor to the last row published; only called after the broker
 * acknowledged the batch. Sent, not waited for: it goes out with the COMMIT.
 */
export function moveCursor(tx: Statements, to: OutboxPosition): Promise<unknown> {
  return tx`
    update relay_cursor set transaction_id = ${to.transactionId}::xid8, outbox_id = ${to.outboxId}::int8,
      updated_at = clock_timestamp()
    where name = 'outbox'`.execute()
}
