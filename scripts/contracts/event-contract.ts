import { z } from 'zod'
import { redriveHeader } from '../../src/dlq/redrive.ts'
import { deadLetterHeaders } from '../../src/shared/dead-letter-topic.ts'
import { eventHeaders, eventSchema } from '../../src/shared/sum-event.ts'

/**
 * The Kafka contract as one JSON Schema document (docs/schemas/sum-event.v1.json):
 * the record value is the zod schema the aggregator decodes with; the headers
 * are described here, keyed by the names the relay and the aggregator use, so a
 * header added to either constant fails type checking until it is described.
 * Header values are UTF-8 strings.
 */
const decimal = z.string().regex(/^\d+$/)
const describedEventHeaders: Record<keyof typeof eventHeaders, z.ZodType> = {
  eventId: z.guid().describe("the value's eventId"),
  contentType: z.literal('application/json'),
  traceparent: z
    .string()
    .regex(/^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/)
    .optional()
    .describe('W3C Trace Context, when the Add call carried one'),
  signature: z
    .string()
    .regex(/^v1;kid=[A-Za-z0-9._-]{1,64};[A-Za-z0-9_-]{43}$/)
    .optional()
    .describe(
      'v1;kid=<key id>;<base64url HMAC-SHA256 of the event under that key> (docs/SECURITY.md, "Authentic events"). Optional in the schema so older records stay valid, but the aggregator dead-letters a record without a valid one',
    ),
}
const headersSchema = z
  .object({
    [eventHeaders.eventId]: describedEventHeaders.eventId,
    [eventHeaders.contentType]: describedEventHeaders.contentType,
    [eventHeaders.traceparent]: describedEventHeaders.traceparent,
    [eventHeaders.signature]: describedEventHeaders.signature,
    [redriveHeader]: z
      .string()
      .regex(/^.+\/\d+\/\d+$/)
      .optional()
      .describe(
        'on a record `summa dlq redrive` sent back: <dead-letter topic>/<partition>/<offset> it came from',
      ),
  })
  .describe('headers of a summa.sums.v1 record')

const describedDeadLetterHeaders: Record<keyof typeof deadLetterHeaders, z.ZodType> = {
  reason: z.string().min(1).describe('why the record was not applied'),
  topic: z.string().min(1).describe('the topic the record was read from'),
  partition: decimal.describe('its partition'),
  offset: decimal.describe('its offset'),
  failedAt: z.iso.datetime().describe('when it was dead-lettered'),
  kind: z
    .enum(['copy', 'reference'])
    .optional()
    .describe(
      "`copy`: key and value are the original record's; `reference`: the topic refused the copy, the value is a small JSON saying where the original is. Always set now; dead letters written before it existed lack it and are copies",
    ),
  size: decimal.optional().describe("on a reference: the original value's size in bytes"),
  sha256: z
    .string()
    .regex(/^[\da-f]{64}$/)
    .optional()
    .describe('on a reference: the SHA-256 of the original value, hex'),
}
const deadLetterHeadersSchema = z
  .object(
    Object.fromEntries(
      Object.entries(deadLetterHeaders).map(([key, name]) => [
        name,
        describedDeadLetterHeaders[key as keyof typeof deadLetterHeaders],
      ]),
    ),
  )
  .describe(
    "headers of a summa.sums.v1.dlq record: the original headers (less any summa-dlq-* a producer set), plus these. On a copy, key and value are the original record's, unchanged (the value need not match the event schema: that is why it is here); on a reference, see summa-dlq-kind",
  )

const toSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' })

export function eventContract(): Record<string, unknown> {
  const { $schema, ...value } = toSchema(eventSchema)
  const strip = (schema: z.ZodType) => {
    const { $schema: _, ...rest } = toSchema(schema)
    return rest
  }
  return {
    $schema,
    $id: 'sum-event.v1.json',
    title: 'summa.sums.v1 record value',
    ...value,
    $defs: { headers: strip(headersSchema), deadLetterHeaders: strip(deadLetterHeadersSchema) },
    'x-kafka': {
      topic: 'summa.sums.v1 (SUMMA_TOPIC)',
      key: 'the request id, UTF-8',
      headers: '#/$defs/headers',
      deadLetterTopic: '<topic>.dlq',
      deadLetterHeaders: '#/$defs/deadLetterHeaders',
      compatibility:
        'additive only: new optional properties; consumers ignore properties they do not know. make check compares with docs/schemas/released/',
    },
  }
}
