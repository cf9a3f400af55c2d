import type { Sql } from 'postgres'
import type { OutboxPosition } from '../src/relay/db/take-cursor.ts'
import { sleep } from '../src/shared/sleep.ts'

export interface DrainRate {
  /** Events published from the end of the relay's first pass to the last backlog event's publish. */
  published: number
  seconds: number
  ratePerS: number
  /** When the relay's first pass after the outage committed. */
  firstPublishAt: Date | null
}

interface CursorSeen extends OutboxPosition {
  at: Date
}

/**
 * Watches the relay's cursor until it passes `lastBacklog`, then reads how fast
 * the backlog went from the cursor's own commit times. Each relay pass moves
 * the cursor once, after the broker acknowledged the whole batch, stamping
 * updated_at; the cursor is read every few milliseconds, more often than a
 * pass of a full batch ends, so each pass's stamp is seen.
 *
 * The first pass's events were produced before its stamp, so counting them
 * over the time from that stamp would inflate the rate by a batch: the window
 * opens at the first pass's stamp and counts every event published after it,
 * backlog or new, up to the pass that published the backlog's last.
 */
export async function measureDrain(
  sql: Sql,
  lastBacklog: OutboxPosition,
  since: Date,
  timeoutMs: number,
): Promise<DrainRate> {
  const deadline = Date.now() + timeoutMs
  let first: CursorSeen | undefined
  let last: CursorSeen | undefined
  for (;;) {
    const [cursor] = await sql<
      { transaction_id: string; outbox_id: string; updated_at: Date; passed: boolean }[]
    >`
      select transaction_id::text, outbox_id::text, updated_at,
             (transaction_id, outbox_id) >= (${lastBacklog.transactionId}::xid8, ${lastBacklog.outboxId}::int8) as passed
      from relay_cursor where name = 'outbox'`
    if (cursor !== undefined && cursor.updated_at > since) {
      const seen = { transactionId: cursor.transaction_id, outboxId: cursor.outbox_id, at: cursor.updated_at }
      first ??= seen
      if (cursor.passed) {
        last = seen
        break
      }
    }
    if (Date.now() > deadline) throw new Error(`outbox not drained within ${timeoutMs} ms`)
    await sleep(3)
  }
  const seconds = (last.at.getTime() - first.at.getTime()) / 1000
  // The whole backlog went in the first pass: too short to time.
  if (seconds <= 0) return { published: 0, seconds: 0, ratePerS: 0, firstPublishAt: first.at }
  const [row] = await sql<{ published: string }[]>`
    select count(*)::text as published from outbox
    where (transaction_id, id) > (${first.transactionId}::xid8, ${first.outboxId}::int8)
      and (transaction_id, id) <= (${last.transactionId}::xid8, ${last.outboxId}::int8)`
  const published = Number(row?.published ?? 0)
  return { published, seconds, ratePerS: Math.round(published / seconds), firstPublishAt: first.at }
}
