import negotiate from '@fastify/accept-negotiator'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorBodySchema } from '../../shared/http/openapi.ts'
import type { Total } from '../db/read-total.ts'

const totalTypes = ['application/json', 'text/plain']

// The body of GET /total: its OpenAPI schema (docs/openapi.json) and reply type.
const count = z.string().regex(/^\d+$/)
const totalSchema = z.object({
  total: z
    .string()
    .regex(/^-?\d+$/)
    .describe('the running total, an exact decimal integer of any size'),
  appliedEvents: count.describe('events in the total'),
  duplicateEventsSkipped: count.describe('re-delivered events recognised and not added again'),
  deadLetters: count.describe('records sent to the dead-letter topic instead'),
  lastAppliedAt: z.iso
    .datetime()
    .nullable()
    .describe('when the last event was applied; null before the first'),
})
const totalRouteSchema = {
  summary: 'The running total',
  description:
    'JSON by default; with `Accept: text/plain` (named, and not after JSON) the bare integer. Never cached.',
  response: {
    200: {
      description: 'the total',
      content: {
        'application/json': { schema: totalSchema },
        'text/plain': {
          schema: z
            .string()
            .regex(/^-?\d+$/)
            .describe('the total alone'),
        },
      },
    },
    503: errorBodySchema.describe('PostgreSQL did not answer'),
    500: errorBodySchema,
  },
}

/**
 * GET /total: the running total as an exact decimal string (JSON numbers lose
 * precision past 2^53, and this total is unbounded), with how many events it
 * is made of and when the last one was applied. A client that asks for
 * `text/plain` (and not JSON first) gets the bare integer, as seed 001's
 * `/total` answered; no Accept header, `*` and anything else get the JSON.
 */
export function registerTotalRoutes(app: FastifyInstance, readTotal: () => Promise<Total>): void {
  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/total', { schema: totalRouteSchema }, async (request, reply) => {
      const total = await readTotal()
      reply.header('cache-control', 'no-store').header('vary', 'accept')
      if (negotiate(request.headers.accept ?? '', totalTypes) === 'text/plain')
        return reply.type('text/plain; charset=utf-8').send(total.total)
      return reply.send({
        total: total.total,
        appliedEvents: total.appliedEvents,
        duplicateEventsSkipped: total.duplicateEvents,
        deadLetters: total.poisonEvents,
        lastAppliedAt: total.lastAppliedAt?.toISOString() ?? null,
      })
    })
}
