import negotiate from '@fastify/accept-negotiator'
import type { FastifyInstance } from 'fastify'
import type { Total } from '../db/read-total.ts'

const totalTypes = ['application/json', 'text/plain']

/**
 * GET /total: the running total as an exact decimal string (JSON numbers lose
 * precision past 2^53, and this total is unbounded), with how many events it
 * is made of and when the last one was applied. A client that asks for
 * `text/plain` (and not JSON first) gets the bare integer, as seed 001's
 * `/total` answered; no Accept header, `*` and anything else get the JSON.
 */
export function registerTotalRoutes(app: FastifyInstance, readTotal: () => Promise<Total>): void {
  app.get('/total', async (request, reply) => {
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
