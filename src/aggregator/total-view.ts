import type { Total } from './db/read-total.ts'

/** The PostgreSQL channel a trigger on partition_totals notifies on every change. */
export const totalsChannel = 'summa_totals'

export interface TotalViewOptions {
  /** Reads the total from the database (the truth). */
  read: () => Promise<Total>
  /** Called with every total read, in order: sum.txt and the gauge follow it. */
  onChange?: (total: Total) => void
  /**
   * Longest a total is served without reading it again, in case a
   * notification was lost (the listening connection dropped and came back).
   */
  maxAgeMs: number
  now?: () => number
}

/**
 * The running total as this process last read it, kept current by the
 * database: a trigger on partition_totals notifies on every committed change
 * (this aggregator's batches, other aggregators', a rebase or a reset) and each
 * notification triggers one read. GET /total is answered from memory, with no
 * database round trip on the request's path; what it returns is at most one
 * notification and one query behind the last commit, and never older than
 * `maxAgeMs`.
 *
 * Reads are single-flight: a change signalled while a read is running queues
 * exactly one more read (the running one may have started before that commit),
 * however many signals arrive meanwhile.
 */
export class TotalView {
  readonly #options: TotalViewOptions
  readonly #now: () => number
  #current: { total: Total; readAt: number } | undefined
  #running: Promise<Total> | undefined
  #queued: Promise<Total> | undefined

  constructor(options: TotalViewOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /** The total for a reader: from memory while current, otherwise read now. */
  read(): Promise<Total> {
    const current = this.#current
    if (current !== undefined && this.#now() - current.readAt < this.#options.maxAgeMs) {
      return Promise.resolve(current.total)
    }
    return this.refresh()
  }

  /** The totals changed (or may have): read them again. Resolves with a total read after this call. */
  refresh(): Promise<Total> {
    if (this.#running === undefined) return this.#start()
    this.#queued ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined
        return this.#start()
      })
    return this.#queued
  }

  #start(): Promise<Total> {
    const readAt = this.#now()
    const running = this.#options
      .read()
      .then((total) => {
        this.#current = { total, readAt }
        this.#options.onChange?.(total)
        return total
      })
      .finally(() => {
        if (this.#running === running) this.#running = undefined
      })
    this.#running = running
    return running
  }
}
