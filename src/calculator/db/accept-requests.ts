import { randomUUIDv7 } from 'node:crypto'
import type { Sql } from '../../shared/db.ts'
import { ErrorCodes, SummaError } from '../../shared/errors.ts'
import { type EventKey, signEvent } from '../../shared/event-signature.ts'
import { encodeSumEvent, type SumEvent } from '../../shared/sum-event.ts'
import type { AddInput } from '../add-input.ts'

export interface AcceptRow extends AddInput {
  acceptedAt: Date
  traceparent: string | null
}

/** A request as PostgreSQL holds it. `inserted` is false when the id was already there. */
export interface StoredRequest {
  requestId: string
  num1: bigint
  num2: bigint
  sum: bigint
  acceptedAt: Date
  inserted: boolean
}

/**
 * Records a batch of Adds and their outbox events in one statement, and so one
 * transaction and one commit. Ids that already exist are left untouched (no
 * event is written for them) and read back afterwards, so the caller can tell a
 * replay from a conflicting reuse of the id.
 *
 * A concurrent insert of the same id by another calculator blocks the ON
 * CONFLICT check until that transaction ends; the follow-up read therefore sees
 * its committed row rather than nothing.
 */
export async function acceptRequests(
  sql: Sql,
  rows: AcceptRow[],
  signingKey: EventKey,
): Promise<Array<StoredRequest | SummaError>> {
  // The same id twice in one batch would insert one request but two events;
  // the first copy is written, later copies are answered like a replay.
  const unique = new Map<string, AcceptRow>()
  for (const row of rows) if (!unique.has(row.requestId)) unique.set(row.requestId, row)
  const batch = [...unique.values()]
  const ids = batch.map((row) => row.requestId)
  // Time-ordered (UUID version 7): each index keyed by event id (the outbox's, and
  // applied_events' primary key) then grows at its right edge like a sequence,
  // instead of touching a random leaf page per event.
  const eventIds = batch.map(() => randomUUIDv7())
  const events = batch.map(
    (row, i): SumEvent => ({
      v: 1,
      eventId: eventIds[i]!,
      requestId: row.requestId,
      num1: row.num1.toString(),
      num2: row.num2.toString(),
      sum: row.sum.toString(),
      acceptedAt: row.acceptedAt.toISOString(),
    }),
  )
  const payloads = events.map(encodeSumEvent)
  // Signed here, where the request is accepted: the relay only carries the
  // signature and needs no key, and a row inserted into the outbox by anyone
  // else has no valid one.
  const signatures = events.map((event) => signEvent(signingKey, event))
  // Rows are inserted in request_id order: two calculators whose batches share
  // ids then take the unique-index locks in the same order and cannot deadlock.
  const inserted = await sql<{ request_id: string }[]>`
    with input as (
      select * from unnest(
        ${ids}::uuid[], ${eventIds}::uuid[], ${batch.map((row) => row.num1.toString())}::int8[],
        ${batch.map((row) => row.num2.toString())}::int8[], ${batch.map((row) => row.sum.toString())}::int8[],
        ${batch.map((row) => row.acceptedAt.toISOString())}::timestamptz[], ${payloads}::text[],
        ${batch.map((row) => row.traceparent)}::text[], ${signatures}::text[]
      ) as t(request_id, event_id, num1, num2, sum, accepted_at, payload, traceparent, signature)
    ),
    inserted as (
      insert into add_requests (request_id, num1, num2, sum, accepted_at)
      select request_id, num1, num2, sum, accepted_at from input order by request_id
      on conflict (request_id) do nothing
      returning request_id
    ),
    queued as (
      insert into outbox (event_id, message_key, payload, traceparent, signature)
      select i.event_id, i.request_id::text, i.payload, i.traceparent, i.signature
      from input i join inserted using (request_id)
      order by i.request_id
    )
    select request_id from inserted`
  const insertedIds = new Set(inserted.map((row) => row.request_id))
  const existing = new Map<string, StoredRequest>()
  const missing = ids.filter((id) => !insertedIds.has(id))
  if (missing.length > 0) {
    const found = await sql<
      { request_id: string; num1: string; num2: string; sum: string; accepted_at: Date }[]
    >`
      select request_id, num1, num2, sum, accepted_at from add_requests where request_id = any(${missing}::uuid[])`
    for (const row of found) {
      existing.set(row.request_id, {
        requestId: row.request_id,
        num1: BigInt(row.num1),
        num2: BigInt(row.num2),
        sum: BigInt(row.sum),
        acceptedAt: row.accepted_at,
        inserted: false,
      })
    }
  }
  const firstCopy = new Set<string>()
  return rows.map((row) => {
    const original = unique.get(row.requestId)!
    if (insertedIds.has(row.requestId)) {
      const isFirst = !firstCopy.has(row.requestId)
      firstCopy.add(row.requestId)
      return { ...original, inserted: isFirst && original === row }
    }
    const stored = existing.get(row.requestId)
    // Only reachable if retention deleted the row between the two statements;
    // a retry will insert it afresh, so tell this one client to retry.
    return stored ?? new SummaError(ErrorCodes.UNAVAILABLE, 'request id expired concurrently; retry')
  })
}
