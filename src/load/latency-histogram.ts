import * as hdr from 'hdr-histogram-js'

/** A latency distribution in milliseconds, as the report prints it. */
export interface LatencySummary {
  count: number
  meanMs: number
  p50Ms: number
  p90Ms: number
  p95Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
}

/**
 * Latencies recorded in microseconds in an HDR histogram (3 significant
 * digits, up to 10 minutes): fixed memory however many samples, and exact
 * enough at the tail, where averages and reservoir samples lie.
 */
export class LatencyHistogram {
  readonly #histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  })

  record(ms: number): void {
    this.#histogram.recordValue(Math.max(1, Math.min(600_000_000, Math.round(ms * 1000))))
  }

  get count(): number {
    return this.#histogram.totalCount
  }

  add(other: LatencyHistogram): void {
    this.#histogram.add(other.#histogram)
  }

  reset(): void {
    this.#histogram.reset()
  }

  percentileMs(percentile: number): number {
    return this.count === 0 ? 0 : this.#histogram.getValueAtPercentile(percentile) / 1000
  }

  summary(): LatencySummary {
    const h = this.#histogram
    const empty = h.totalCount === 0
    // A percentile is reported as its bucket's upper bound, which can pass the exact maximum.
    const at = (percentile: number): number =>
      empty ? 0 : round(Math.min(h.getValueAtPercentile(percentile), h.maxValue) / 1000)
    return {
      count: h.totalCount,
      meanMs: empty ? 0 : round(h.mean / 1000),
      p50Ms: at(50),
      p90Ms: at(90),
      p95Ms: at(95),
      p99Ms: at(99),
      p999Ms: at(99.9),
      maxMs: empty ? 0 : round(h.maxValue / 1000),
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
