import { z } from 'zod'
import { ErrorCodes, SummaError } from './errors.ts'

// The domain's words (request, event, applied, poison, …): docs/ARCHITECTURE.md, "Glossary".

import { isInt64 } from './int64.ts'

export { isInt64 }

const int64String = z
  .string()
  .regex(/^-?\d{1,19}$/)
  .refine((text) => isInt64(BigInt(text)), 'outside int64')

// Any 8-4-4-4-12 hex id, as PostgreSQL's uuid type and the calculator accept it:
// a stricter check here would dead-letter Adds the calculator acknowledged.
const uuid = z.guid()

// PostgreSQL's timestamptz cannot hold year 0 and below; such a value must be a
// poison event here, not an error that wedges the aggregator's transaction.
const timestamp = z.iso.datetime().refine((text) => {
  const year = new Date(text).getUTCFullYear()
  return year >= 1 && year <= 9999
}, 'year outside 1..9999')

// The descriptions are part of the published contract: docs/schemas/sum-event.v1.json
// is generated from this schema (scripts/write-contracts.ts), so what is checked
// here and what is documented there cannot drift apart.
export const eventSchema = z
  .object({
    v: z.literal(1).describe('version of the value; a change that is not additive gets a new topic'),
    eventId: uuid.describe('minted once per accepted request; the aggregator applies each id once'),
    requestId: uuid.describe("the Add call's request_id (also the record key)"),
    num1: int64String.describe('an int64 as a decimal string (-9223372036854775808..9223372036854775807)'),
    num2: int64String.describe('an int64 as a decimal string'),
    sum: int64String.describe(
      'num1 + num2, an int64 as a decimal string; a record where it is not is dead-lettered',
    ),
    acceptedAt: timestamp.describe('when the calculator accepted the request (ISO 8601, UTC, years 1..9999)'),
  })
  .describe('An accepted Add: the value of a summa.sums.v1 record, JSON (UTF-8)')

/** Version 1 of the event on the topic: JSON, every int64 as a decimal string. */
export type SumEvent = z.infer<typeof eventSchema>

export const eventHeaders = {
  eventId: 'summa-event-id',
  contentType: 'content-type',
  traceparent: 'traceparent',
  /** HMAC of the event by the calculator's key (src/shared/event-signature.ts). */
  signature: 'summa-signature',
} as const

export function encodeSumEvent(event: SumEvent): string {
  return JSON.stringify(event)
}

/**
 * Decodes a record value. Anything that is not a well-formed v1 event, or whose
 * sum is not num1 + num2, is a poison event: it must never reach the total.
 */
export function decodeSumEvent(value: Buffer | string | undefined | null): SumEvent {
  if (value === undefined || value === null) throw poison('empty value')
  let json: unknown
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'))
  } catch {
    throw poison('value is not JSON')
  }
  const parsed = eventSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw poison(`invalid event: ${issue?.path.join('.') || 'value'}: ${issue?.message}`)
  }
  const event = parsed.data
  if (BigInt(event.num1) + BigInt(event.num2) !== BigInt(event.sum)) throw poison('sum is not num1 + num2')
  return event
}

function poison(reason: string): SummaError {
  return new SummaError(ErrorCodes.POISON_EVENT, reason)
}
