import { ErrorCodes, SummaError } from '../shared/errors.ts'

export interface GroupCommitOptions<In, Out> {
  /**
   * Writes a whole batch in one transaction; returns one result per input, in
   * order. A result that is an Error fails that one request only.
   */
  commit: (batch: In[]) => Promise<Array<Out | Error>>
  /** Most rows in one transaction. */
  maxRows: number
  /**
   * How long the first request of a batch may wait for company. 0 gathers only
   * what arrived in the same event-loop turn, which is the lowest latency and
   * already batches well under load.
   */
  waitMs: number
  /** Batches allowed in flight at once (each holds one pooled connection). */
  maxInFlight: number
  /** Rows allowed to queue before new requests are refused instead of piling up. */
  maxQueued: number
}

interface Pending<In, Out> {
  input: In
  resolve: (out: Out) => void
  reject: (error: unknown) => void
}

/**
 * Group commit: concurrent requests share one transaction, and so one fsync,
 * instead of paying a commit each. A request is answered only after the
 * transaction that holds it has committed.
 */
export class GroupCommit<In, Out> {
  readonly #options: GroupCommitOptions<In, Out>
  #queue: Pending<In, Out>[] = []
  #inFlight = 0
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined
  readonly #idle: Array<() => void> = []

  constructor(options: GroupCommitOptions<In, Out>) {
    this.#options = options
  }

  get queued(): number {
    return this.#queue.length
  }

  get inFlight(): number {
    return this.#inFlight
  }

  submit(input: In): Promise<Out> {
    if (this.#queue.length >= this.#options.maxQueued) {
      return Promise.reject(new SummaError(ErrorCodes.UNAVAILABLE, 'too many requests queued; retry later'))
    }
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject })
      this.#schedule()
    })
  }

  /** Resolves once nothing is queued or in flight: used by graceful shutdown. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #schedule(): void {
    if (this.#inFlight >= this.#options.maxInFlight) return // a finishing batch reschedules
    if (this.#queue.length >= this.#options.maxRows) {
      this.#cancelTimer()
      this.#flush()
      return
    }
    if (this.#timer !== undefined) return
    const fire = (): void => {
      this.#timer = undefined
      this.#flush()
    }
    this.#timer = this.#options.waitMs > 0 ? setTimeout(fire, this.#options.waitMs) : setImmediate(fire)
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return
    clearTimeout(this.#timer as NodeJS.Timeout)
    clearImmediate(this.#timer as NodeJS.Immediate)
    this.#timer = undefined
  }

  #flush(): void {
    if (this.#queue.length === 0 || this.#inFlight >= this.#options.maxInFlight) return
    const batch = this.#queue.splice(0, this.#options.maxRows)
    this.#inFlight++
    this.#options
      .commit(batch.map((pending) => pending.input))
      .then(
        (results) => {
          if (results.length !== batch.length) {
            const error = new SummaError(ErrorCodes.INTERNAL, 'group commit returned a wrong result count')
            for (const pending of batch) pending.reject(error)
            return
          }
          for (const [index, pending] of batch.entries()) {
            const result = results[index]
            if (result instanceof Error) pending.reject(result)
            else pending.resolve(result as Out)
          }
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error)
        },
      )
      .finally(() => {
        this.#inFlight--
        if (this.#queue.length > 0) this.#schedule()
        else if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
      })
  }
}
