import { SummaError } from './errors.ts'
import type { Logger } from './logger.ts'
import { briefly } from './retry-log.ts'
import { backoffMs, sleep } from './sleep.ts'

/**
 * Runs `step`, start-up work that needs PostgreSQL, until it succeeds. While
 * PostgreSQL cannot be reached (any error SummaError.from maps to a retriable
 * code: refused, reset, starting up, in recovery) it waits with backoff and
 * tries again, for as long as it takes: a service started during a database
 * outage stays up, reports not ready, and finishes starting when the database
 * is back, instead of exiting and being restarted in a loop. Any other error
 * (a missing table, a bug) is thrown: retrying would not fix it.
 *
 * Each failed attempt is logged once, at warn, with the error's code and
 * message but no stack: an outage of minutes must not fill the log with
 * identical traces. Returns undefined if `signal` aborts (shutdown) first.
 */
export async function whenPostgresAnswers<T>(
  what: string,
  step: () => Promise<T>,
  signal: AbortSignal,
  log: Logger,
): Promise<T | undefined> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      return await step()
    } catch (error) {
      if (signal.aborted) return undefined
      if (!SummaError.from(error).canRetry) throw error
      const delayMs = backoffMs(attempt, 200, 5000)
      log.warn({ attempt, delayMs, cause: briefly(error) }, `${what}: PostgreSQL is unavailable; retrying`)
      await sleep(delayMs, signal)
    }
  }
  return undefined
}
