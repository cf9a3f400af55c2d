import type { FastifyInstance } from 'fastify'
import type { Total } from '../db/read-total.ts'

/**
 * GET /total: the running total as an exact decimal string (JSON numbers lose
 * precision past 2^53, and this total is unbounded), with how many events it
 * is made of and when the last one was applied.
 */
export function registerTotalRoutes(app: FastifyInstance, readTotal: () => Promise<Total>): void {
  app.get('/total', async (_request, reply) => {
    const total = await readTotal()
    return reply.header('cache-control', 'no-store').send({
      total: total.total,
      appliedEvents: total.appliedEvents,
      duplicateEventsSkipped: total.duplicateEvents,
      deadLetters: total.poisonEvents,
      lastAppliedAt: total.lastAppliedAt?.toISOString() ?? null,
    })
  })
}
