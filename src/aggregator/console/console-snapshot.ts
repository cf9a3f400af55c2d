import { z } from 'zod'

/**
 * What the live console shows, one snapshot a period: GET /console/snapshot's
 * body and the data of each `snapshot` event on GET /console/events. The type
 * (ConsoleSnapshot) is derived from it, and it is the route's OpenAPI schema.
 */
const seconds = z.number().nullable()
const partitionLagSchema = z.object({
  partition: z.number().int(),
  offsets: z.number().describe('records on the broker not yet in the total'),
  seconds: z.number().describe('estimated wait of the oldest unapplied record'),
})
const recentEventSchema = z.object({
  seq: z.string(),
  eventId: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  sum: z.string(),
  acceptedAt: z.string(),
  appliedAt: z.string(),
})

export const consoleSnapshotSchema = z
  .object({
    at: z.iso.datetime(),
    total: z.string().regex(/^-?\d+$/),
    appliedEvents: z.string(),
    deadLetters: z.string(),
    lastAppliedAt: z.string().nullable(),
    addsPerSecond: z.number(),
    appliedPerSecond: z.number(),
    applyLatency: z
      .object({ p50: seconds, p99: seconds })
      .describe('seconds; null when nothing was observed in the window'),
    endToEnd: z
      .object({ p50: seconds, p90: seconds, p99: seconds })
      .describe('seconds, Add accepted → applied'),
    lag: z
      .object({ offsets: z.number(), seconds: z.number(), partitions: z.array(partitionLagSchema) })
      .nullable()
      .describe('null when the broker did not answer'),
    outbox: z
      .object({ pending: z.number(), oldestAgeSeconds: z.number() })
      .nullable()
      .describe('null when the outbox could not be read'),
    recent: z.array(recentEventSchema).describe('the latest applied events, newest first'),
    owners: z
      .array(z.object({ replica: z.string(), partitions: z.array(z.number().int()) }))
      .nullable()
      .describe('which aggregator replica holds which partitions; null when the broker did not answer'),
  })
  .describe('the live console snapshot')

export type ConsoleSnapshot = z.infer<typeof consoleSnapshotSchema>
