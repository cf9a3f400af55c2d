import { Gauge, type Registry } from 'prom-client'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import type { DependencyCheck } from '../shared/readiness.ts'

/**
 * Whether each partition's records are moving: a partition is stalled from
 * the moment a batch holding its records is read until that batch commits.
 * Normally that is milliseconds; a batch that cannot be passed (PostgreSQL
 * down, the dead-letter topic refusing writes for a retriable reason) keeps
 * it stalled, and readiness says so once it has lasted `stallLimitMs`, so a
 * wedged pipeline cannot report "pass" while the total stands still.
 */
export class PartitionProgress {
  /** Partition -> when its oldest waiting batch was read (undefined: nothing waiting). */
  readonly #waitingSince = new Map<number, number | undefined>()
  #cause: string | undefined
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** Records of these partitions are in hand and not yet committed. */
  waiting(partitions: Iterable<number>): void {
    const now = this.#now()
    for (const partition of partitions)
      this.#waitingSince.set(partition, this.#waitingSince.get(partition) ?? now)
  }

  /** What is holding the waiting records up, for readiness (short; no connection details). */
  blockedBy(cause: string): void {
    this.#cause = cause
  }

  /** These partitions' records were committed. */
  advanced(partitions: Iterable<number>): void {
    for (const partition of partitions) this.#waitingSince.set(partition, undefined)
    if ([...this.#waitingSince.values()].every((since) => since === undefined)) this.#cause = undefined
  }

  /** The stream was re-created: what it held will be read again (or by another member). */
  forgetWaiting(): void {
    for (const partition of this.#waitingSince.keys()) this.#waitingSince.set(partition, undefined)
    this.#cause = undefined
  }

  /** Seconds each known partition has waited without progress (0 when moving). */
  stalledSeconds(): Map<number, number> {
    const now = this.#now()
    const result = new Map<number, number>()
    for (const [partition, since] of this.#waitingSince) {
      result.set(partition, since === undefined ? 0 : (now - since) / 1000)
    }
    return result
  }

  /** Fails readiness while a partition has been stalled longer than `stallLimitMs`. */
  check(stallLimitMs: number): DependencyCheck {
    return {
      name: 'progress',
      check: async () => {
        const stalled = [...this.stalledSeconds()]
          .filter(([, seconds]) => seconds * 1000 >= stallLimitMs)
          .sort(([a], [b]) => a - b)
        if (stalled.length === 0) return
        const where = stalled.map(
          ([partition, seconds]) => `partition ${partition} (${Math.round(seconds)} s)`,
        )
        // UNAVAILABLE is what /health shows (a reason code, never text); the message, with the
        // partitions and the cause, goes to the log.
        throw new SummaError(
          ErrorCodes.UNAVAILABLE,
          `${where.join(', ')}: no progress while records wait${this.#cause ? `: ${this.#cause}` : ''}`,
        )
      },
    }
  }

  registerGauge(registry: Registry): void {
    const progress = this
    new Gauge({
      name: 'summa_consumer_stalled_seconds',
      help: 'How long records read from a partition have waited without being committed (0 when moving)',
      labelNames: ['partition'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [partition, seconds] of progress.stalledSeconds()) {
          this.set({ partition: String(partition) }, seconds)
        }
      },
    })
  }
}
