import type { Sql } from '../../src/shared/db.ts'
import { outboxBacklog } from '../../src/shared/outbox-backlog.ts'

/** Outbox rows the relay has not published yet: those after its cursor. */
export async function pendingEvents(sql: Sql): Promise<number> {
  return (await outboxBacklog(sql)).pending
}

/** Whether the outbox row of `messageKey` (the request id) is at or below the relay's cursor. */
export async function isPublished(sql: Sql, messageKey: string): Promise<boolean> {
  const [row] = await sql<{ published: boolean }[]>`
    select (o.transaction_id, o.id) <= (c.transaction_id, c.outbox_id) as published
    from outbox o, relay_cursor c where c.name = 'outbox' and o.message_key = ${messageKey}`
  return row?.published === true
}
