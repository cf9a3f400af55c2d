import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorBodySchema } from '../../shared/http/openapi.ts'
import type { Total } from '../db/read-total.ts'

const integerPattern = /^-?\d+$/

// The bodies of the two routes: their OpenAPI schemas (docs/openapi.json). Both
// are written as text (below), so these describe them rather than serialise them.
const errors = { 503: errorBodySchema.describe('PostgreSQL did not answer'), 500: errorBodySchema }
const summationSchema = {
  summary: "The total in seed 003's shape",
  response: {
    200: z
      .object({
        Status: z.literal('Success'),
        // An integer of any size, every digit written: not bounded to 2^53 as z.int() would say.
        data: z.number().meta({ type: 'integer', description: 'the total as a JSON number, all its digits' }),
      })
      .describe('readers that parse numbers as doubles round totals past 2^53; GET /total is exact'),
    ...errors,
  },
}
const finalSchema = {
  summary: "The total in seed 000's shape",
  response: {
    200: {
      description: 'the total',
      content: { 'text/plain': { schema: z.string().regex(integerPattern).describe('the total alone') } },
    },
    ...errors,
  },
}

/**
 * The total in the shapes the seeds' REST reads had, so their clients and load
 * scripts work unchanged (summa's own is GET /total):
 *
 * - GET /summation (seed 003): `{"Status":"Success","data":<total>}` with the
 *   total as a JSON number. Past 2^53 the number is still written with all its
 *   digits (JSON allows that); a parser that reads numbers as doubles, such as
 *   JavaScript's JSON.parse, then rounds it to the nearest double. Exact
 *   readers use GET /total, whose total is a string.
 * - GET /api/final (seed 000): the bare integer as text/plain.
 */
export function registerCompatRoutes(app: FastifyInstance, readTotal: () => Promise<Total>): void {
  // Untyped reply: the body is text written by hand (below), which the schema only describes.
  app.get('/summation', { schema: summationSchema }, async (_request, reply) => {
    const { total } = await readTotal()
    // Written by hand: a JavaScript number cannot carry the digits past 2^53, and the string must
    // never be anything but an integer, which the database's numeric text is.
    if (!integerPattern.test(total)) throw new Error(`total is not an integer: ${total}`)
    return reply
      .header('cache-control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(`{"Status":"Success","data":${total}}`)
  })
  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/api/final', { schema: finalSchema }, async (_request, reply) => {
      const { total } = await readTotal()
      return reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(total)
    })
}
