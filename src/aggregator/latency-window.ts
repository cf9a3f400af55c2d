/**
 * The latest observations of a latency, for the console's percentiles: a
 * Prometheus histogram answers "p99 over 5 minutes" well but cannot be read
 * back in-process, so the console keeps its own bounded window.
 */
export class LatencyWindow {
  readonly #values: Float64Array
  readonly #times: Float64Array
  readonly #windowMs: number
  readonly #now: () => number
  #next = 0
  #size = 0

  constructor(capacity = 4096, windowMs = 30_000, now: () => number = Date.now) {
    this.#values = new Float64Array(capacity)
    this.#times = new Float64Array(capacity)
    this.#windowMs = windowMs
    this.#now = now
  }

  observe(seconds: number): void {
    this.#values[this.#next] = seconds
    this.#times[this.#next] = this.#now()
    this.#next = (this.#next + 1) % this.#values.length
    this.#size = Math.min(this.#size + 1, this.#values.length)
  }

  /** Percentiles (0..1 each) of the observations within the window, or nulls when there are none. */
  percentiles(quantiles: readonly number[]): Array<number | null> {
    const since = this.#now() - this.#windowMs
    const recent: number[] = []
    for (let i = 0; i < this.#size; i++) if ((this.#times[i] ?? 0) >= since) recent.push(this.#values[i] ?? 0)
    if (recent.length === 0) return quantiles.map(() => null)
    recent.sort((a, b) => a - b)
    return quantiles.map(
      (q) => recent[Math.min(recent.length - 1, Math.max(0, Math.ceil(q * recent.length) - 1))] ?? null,
    )
  }
}
