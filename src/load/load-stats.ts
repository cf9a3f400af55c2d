import { LatencyHistogram, type LatencySummary } from './latency-histogram.ts'
import type { Operation } from './load-options.ts'

export interface OperationStats {
  requests: number
  ok: number
  errors: number
  latency: LatencySummary
}

/** One second of the run, for the progress line and the report's timeline. */
export interface TimelinePoint {
  second: number
  sent: number
  ok: number
  errors: number
  p99Ms: number
}

/**
 * Counts and latencies of a run. Latency is recorded for every answered
 * request, failed ones included (a fast error is not a fast success, but an
 * error that takes 5 s is a latency problem too); requests the client could not
 * even send count as errors without a latency.
 */
export class LoadStats {
  readonly all = new LatencyHistogram()
  readonly #byOperation = new Map<Operation, { ok: number; errors: number; latency: LatencyHistogram }>()
  readonly errorsByCode = new Map<string, number>()
  readonly #window = new LatencyHistogram()
  #windowSent = 0
  #windowOk = 0
  #windowErrors = 0
  readonly timeline: TimelinePoint[] = []
  sent = 0
  ok = 0
  errors = 0
  inFlight = 0

  markSent(): void {
    this.sent++
    this.#windowSent++
    this.inFlight++
  }

  record(operation: Operation, code: string, latencyMs: number | undefined): void {
    if (latencyMs !== undefined) {
      this.inFlight--
      this.all.record(latencyMs)
      this.#window.record(latencyMs)
    }
    const entry = this.#operation(operation)
    if (latencyMs !== undefined) entry.latency.record(latencyMs)
    if (code === 'OK') {
      this.ok++
      this.#windowOk++
      entry.ok++
    } else {
      this.errors++
      this.#windowErrors++
      entry.errors++
      this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1)
    }
  }

  /** Closes the current one-second window and returns it. */
  tick(second: number): TimelinePoint {
    const point = {
      second,
      sent: this.#windowSent,
      ok: this.#windowOk,
      errors: this.#windowErrors,
      p99Ms: Math.round(this.#window.percentileMs(99) * 100) / 100,
    }
    this.timeline.push(point)
    this.#window.reset()
    this.#windowSent = 0
    this.#windowOk = 0
    this.#windowErrors = 0
    return point
  }

  byOperation(): Partial<Record<Operation, OperationStats>> {
    const result: Partial<Record<Operation, OperationStats>> = {}
    for (const [operation, entry] of this.#byOperation) {
      result[operation] = {
        requests: entry.ok + entry.errors,
        ok: entry.ok,
        errors: entry.errors,
        latency: entry.latency.summary(),
      }
    }
    return result
  }

  #operation(operation: Operation) {
    let entry = this.#byOperation.get(operation)
    if (entry === undefined) {
      entry = { ok: 0, errors: 0, latency: new LatencyHistogram() }
      this.#byOperation.set(operation, entry)
    }
    return entry
  }
}
