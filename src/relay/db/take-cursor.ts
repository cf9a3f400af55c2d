import type { Statements } from '../../shared/pipelined-transaction.ts'
import type { OutboxRow } from './read-after.ts'

/** Where the relay's last committed pass stopped: the outbox position of the last event it published. */
export interface OutboxPosition {
  transactionId: string
  outboxId: string
}

export interface TakenCursor {
  cursor: OutboxPosition
  rows: OutboxRow[]
  /**
   * Committed rows wait behind the watermark: an older transaction still runs.
   * It may never write to the outbox (nor send the NOTIFY that wakes a relay),
   * so the relay has to look again by itself once it ends.
   */
  heldBack: boolean
}

/**
 * Takes the relay cursor for the caller's transaction and reads up to `limit`
 * rows after it (as db/read-after.ts does), in one statement; undefined when
 * another relay holds the cursor. SKIP LOCKED, so a standby relay finds out at
 * once and waits for its next turn instead of queueing behind a pass. Holding
 * the row until commit is what lets only one relay publish at a time.
 *
 * Rows at or above the watermark all lie after the cursor (it only moves past
 * rows below the watermark, and the watermark only rises), so whether any is
 * held is one descent of outbox_position, whatever the backlog.
 */
export async function takeCursor(tx: Statements, limit: number): Promise<TakenCursor | undefined> {
  const found = await tx<
    Array<{ cursor_transaction_id: string; cursor_outbox_id: string; held_back: boolean } & NullableRow>
  >`
    with cursor as (
      select transaction_id, outbox_id from relay_cursor where name = 'outbox' for update skip locked
    )
    select c.transaction_id::text as cursor_transaction_id, c.outbox_id::text as cursor_outbox_id,
      exists (
        select from outbox where transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
      ) as held_back,
      o.*
    from cursor c left join lateral (
      select id, transaction_id::text, event_id, message_key, payload, traceparent, signature
      from outbox
      where (transaction_id, id) > (c.transaction_id, c.outbox_id)
        and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      order by transaction_id, id
      limit ${limit}
    ) o on true`
  const first = found[0]
  if (first === undefined) return undefined
  const cursor = { transactionId: first.cursor_transaction_id, outboxId: first.cursor_outbox_id }
  // The cursor with nothing after it is one row of nulls (the left join).
  const rows = found.flatMap(({ cursor_transaction_id: _, cursor_outbox_id: __, held_back: ___, ...row }) =>
    row.id === null ? [] : [row as OutboxRow],
  )
  return { cursor, rows, heldBack: first.held_back }
}

type NullableRow = { [K in keyof OutboxRow]: OutboxRow[K] | null }
