import type { AppliedEvent } from './applied-event.ts'

/** One line of the audit log (`audit.jsonl`, `summa audit export`): an applied event, for offline processing. */
export interface AuditLine {
  seq: string
  eventId: string
  requestId: string
  topic: string
  partition: number
  offset: string
  sum: string
  acceptedAt: string
  appliedAt: string
}

/** The audit line of an event applied from `topic`. */
export function toAuditLine(topic: string, event: AppliedEvent): AuditLine {
  return {
    seq: event.seq,
    eventId: event.eventId,
    requestId: event.requestId,
    topic,
    partition: event.partition,
    offset: event.offset,
    sum: event.sum,
    acceptedAt: event.acceptedAt.toISOString(),
    appliedAt: event.appliedAt.toISOString(),
  }
}
