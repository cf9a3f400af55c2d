/** An event added to the total: an applied_events row, as the audit log and the lag gauge use it. */
export interface AppliedEvent {
  seq: string
  eventId: string
  requestId: string
  partition: number
  offset: string
  sum: string
  acceptedAt: Date
  appliedAt: Date
}

/** An applied_events row as the driver returns it (bigints as strings). */
export interface AppliedEventRow {
  seq: string
  event_id: string
  request_id: string
  partition: number
  offset: string
  sum: string
  accepted_at: Date
  applied_at: Date
}

export function toAppliedEvent(row: AppliedEventRow): AppliedEvent {
  return {
    seq: row.seq,
    eventId: row.event_id,
    requestId: row.request_id,
    partition: row.partition,
    offset: row.offset,
    sum: row.sum,
    acceptedAt: row.accepted_at,
    appliedAt: row.applied_at,
  }
}
