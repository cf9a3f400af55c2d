import type { Statements } from '../../shared/pipelined-transaction.ts'
import type { ConsumedRecord } from './apply-batch.ts'

/** A record that claims an applied event's id (or request) with other content, and why. */
export interface Conflict {
  partition: number
  offset: bigint
  reason: string
}

/**
 * Events of the batch that were not inserted for another reason than being a
 * re-send. Two kinds, both dead-lettered while the first applied stays:
 * - the event id is in applied_events with a different request id, sum or
 *   acceptance time: a relay re-send repeats all three, so two different events
 *   claim one id, and which one is right cannot be told here;
 * - the request (its id and acceptance time) was applied under another event
 *   id: the same acceptance re-minted under a new id would count twice.
 * Runs after the insert: a clash inside one batch is caught too.
 */
export async function findConflicts(tx: Statements, events: ConsumedRecord[]): Promise<Conflict[]> {
  const rows = await tx<
    {
      ord: string
      event_id: string
      request_id: boolean
      sum: boolean
      accepted_at: boolean
      applied_as: string | null
    }[]
  >`
    with t as (
      select * from unnest(
        ${events.map((record) => record.event!.eventId)}::uuid[],
        ${events.map((record) => record.event!.requestId)}::uuid[],
        ${events.map((record) => record.event!.sum)}::int8[],
        ${events.map((record) => record.event!.acceptedAt)}::timestamptz[]
      ) with ordinality as t(event_id, request_id, sum, accepted_at, ord)
    )
    select t.ord::text, t.event_id::text,
           a.request_id <> t.request_id as request_id,
           a.sum <> t.sum as sum,
           a.accepted_at <> t.accepted_at as accepted_at,
           null as applied_as
    from t join applied_events a on a.event_id = t.event_id
    where (a.request_id, a.sum, a.accepted_at) is distinct from (t.request_id, t.sum, t.accepted_at)
    union all
    select t.ord::text, t.event_id::text, false, false, false, a.event_id::text
    from t join applied_events a
      on a.request_id = t.request_id and a.accepted_at = t.accepted_at and a.event_id <> t.event_id
    where not exists (select 1 from applied_events b where b.event_id = t.event_id)`
  return rows.map((row) => {
    const record = events[Number(row.ord) - 1]!
    if (row.applied_as !== null) {
      return {
        partition: record.partition,
        offset: record.offset,
        reason: `conflict: request ${record.event!.requestId} was applied before under event id ${row.applied_as}; event id ${row.event_id} would count it twice`,
      }
    }
    const fields = (['request_id', 'sum', 'accepted_at'] as const).filter((field) => row[field])
    return {
      partition: record.partition,
      offset: record.offset,
      reason: `conflict: event id ${row.event_id} was applied before with a different ${fields.join(', ')}`,
    }
  })
}
