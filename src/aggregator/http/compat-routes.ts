import type { FastifyInstance } from 'fastify'
import type { Total } from '../db/read-total.ts'

const integerPattern = /^-?\d+$/

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
  app.get('/summation', async (_request, reply) => {
    const { total } = await readTotal()
    // Written by hand: a JavaScript number cannot carry the digits past 2^53, and the string must
    // never be anything but an integer, which the database's numeric text is.
    if (!integerPattern.test(total)) throw new Error(`total is not an integer: ${total}`)
    return reply
      .header('cache-control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(`{"Status":"Success","data":${total}}`)
  })
  app.get('/api/final', async (_request, reply) => {
    const { total } = await readTotal()
    return reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(total)
  })
}
