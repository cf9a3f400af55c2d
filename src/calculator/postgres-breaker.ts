import CircuitBreaker from 'opossum'
import { Gauge, type Registry } from 'prom-client'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'

export interface PostgresBreakerOptions {
  registry: Registry
  log: Logger
  /**
   * A commit slower than this counts as a failure (the client was already told
   * DEADLINE_EXCEEDED by then): a database that hangs instead of refusing
   * opens the circuit too.
   */
  slowCommitMs: number
  /** Commits in the rolling window before the circuit may open: one early failure never opens it. */
  volumeThreshold?: number
  /** Failed share of the window's commits, in percent, that opens the circuit. */
  errorThresholdPercentage?: number
  rollingWindowMs?: number
  /** How long an open circuit refuses before letting one trial commit through (half-open). */
  resetMs?: number
}

/** Values of summa_circuit_breaker_state. */
export const BreakerStates = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const

/**
 * A circuit breaker around the calculator's group commits (opossum).
 *
 * States: closed (commits run) → open when, within the rolling window, at least
 * `volumeThreshold` commits ran and `errorThresholdPercentage` of them failed or
 * were slow; open (every Add is refused at once with UNAVAILABLE instead of
 * queueing behind a dead database) → half-open after `resetMs`, where one trial
 * commit runs; its success closes the circuit, its failure opens it again.
 *
 * Only this process's commits are counted; readiness (/health) reports the
 * database separately, from its own probe.
 */
export function createPostgresBreaker<In, Out>(
  commit: (batch: In[]) => Promise<Out[]>,
  options: PostgresBreakerOptions,
): { commit: (batch: In[]) => Promise<Out[]>; breaker: CircuitBreaker<[In[]], Out[]> } {
  const breaker = new CircuitBreaker<[In[]], Out[]>(commit, {
    name: 'postgres',
    timeout: options.slowCommitMs,
    volumeThreshold: options.volumeThreshold ?? 10,
    errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
    rollingCountTimeout: options.rollingWindowMs ?? 10_000,
    rollingCountBuckets: 10,
    resetTimeout: options.resetMs ?? 2000,
  })
  const gauge = new Gauge({
    name: 'summa_circuit_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
    labelNames: ['breaker'] as const,
    registers: [options.registry],
  })
  gauge.set({ breaker: 'postgres' }, BreakerStates.CLOSED)
  const onState = (state: keyof typeof BreakerStates) => () => {
    gauge.set({ breaker: 'postgres' }, BreakerStates[state])
    const level = state === 'CLOSED' ? 'info' : 'warn'
    options.log[level]({ breaker: 'postgres', state: state.toLowerCase() }, 'circuit breaker changed state')
  }
  breaker.on('open', onState('OPEN'))
  breaker.on('halfOpen', onState('HALF_OPEN'))
  breaker.on('close', onState('CLOSED'))
  return {
    breaker,
    commit: (batch) =>
      breaker.fire(batch).catch((error: unknown) => {
        throw toSummaError(error)
      }),
  }
}

/** An open circuit or a slow commit is UNAVAILABLE to the caller: retry later, with the same id. */
function toSummaError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code
  if (code === 'EOPENBREAKER')
    return new SummaError(ErrorCodes.UNAVAILABLE, 'PostgreSQL is unavailable (circuit open); retry later', {
      cause: error,
    })
  if (code === 'ETIMEDOUT')
    return new SummaError(ErrorCodes.UNAVAILABLE, 'PostgreSQL did not answer in time; retry later', {
      cause: error,
    })
  return error
}
