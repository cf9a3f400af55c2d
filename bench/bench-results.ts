import type { LatencySummary } from '../src/load/latency-histogram.ts'

/**
 * The results file of one `make bench` run: what bench/run-bench.ts writes and
 * bench/write-doc.ts renders. Fields are only ever added (optional, with what
 * an older file means without them), so that every run kept renders.
 */
export interface Step {
  target: 'bare' | 'summa'
  rate: number
  attempt: number
  throughputPerS: number
  requests: number
  errors: number
  errorsByCode: Record<string, number>
  latency: LatencySummary
  passed: boolean
  /** CPU seconds per process during the step (and, for summa, until its events were applied). */
  cpuS: Record<string, number>
  cpuMsPer1000: number
  clientCpuMsPer1000: number
  eventLoopLagP99Ms?: Record<string, number>
  /** Adds per group commit, events per relay produce, records per aggregator transaction. */
  eventsPerBatch?: Record<string, number>
  rssMb?: Record<string, { rssMb: number; peakRssMb: number }>
  /**
   * The `postgres` CPU of cpuS split by the service its backends served
   * (calculator, relay, aggregator) and the rest (WAL writer, checkpointer,
   * autovacuum, the bench's own queries). Absent from results written before it was recorded.
   */
  postgresCpuS?: Record<string, number>
}

export interface BenchResults {
  startedAt: string
  finishedAt: string
  command: string
  settings: {
    stepS: number
    rates: number[]
    p99LimitMs: number
    outageS: number
    /** Absent from results written before the warm-up was recorded (500/s, 8 s bare, 20 s summa). */
    warmUp?: { rate: number; bareS: number; summaS: number }
    /** The load client's Node flags; absent from results written before they were recorded. */
    loadNodeFlags?: readonly string[]
  }
  machine: Record<string, string | number | number[]>
  sustained: { bare: number; summa: number }
  /** Highest rate answered at ≥ 95 % with < 1 % errors, whatever the p99. */
  capacity: { bare: number; summa: number }
  /** CPU seconds per second each summa process used while idle (measured during the bare phase). */
  summaIdleCpuPerS: Record<string, number>
  steps: Step[]
  endToEnd: {
    rate: number
    add: LatencySummary
    total: LatencySummary
    endToEnd: { probes: number; failed: number; latency: LatencySummary }
    eventLoopLagP99Ms: Record<string, number>
    errors: number
  }
  outage: {
    rate: number
    outageS: number
    backlogAtRestart: number
    firstPublishAfterRestartS: number | null
    published: number
    drainSeconds: number
    drainRatePerS: number
    addErrors: number
    addLatency: LatencySummary
  }
}

/**
 * What one `make bench` writes: its runs in the order they were made, each
 * measured on a stack of its own. An older results file holds one run alone;
 * bench/run-set.ts reads both.
 */
export interface BenchRuns {
  runs: BenchResults[]
}

/**
 * Where runs are kept. Every run `make bench` makes goes to results/, which is
 * git-ignored (.gitignore): raw runs are not committed by accident. The set of
 * runs docs/PERFORMANCE.md shows is copied beside it, and only that one is
 * committed, with the run the cost table compares against.
 */
export const runFiles = {
  cited: 'docs/performance-runs.json',
  /** The "before" of the page's cost table: the run made before the targets were raised. */
  baseline: 'docs/performance-baseline.json',
  raw: (results: BenchResults): string => `results/bench-${compactTime(results.startedAt)}.json`,
  /** The set, named after its first run; rewritten after each run, so that a bench cut short keeps what it measured. */
  rawSet: (set: BenchRuns): string => `results/bench-runs-${compactTime(set.runs[0]?.startedAt ?? '')}.json`,
} as const

/** To the second: a short run (small BENCH_* settings) can follow the one before within a minute. */
function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').slice(0, 15)
}

export function runJson(results: BenchResults | BenchRuns): string {
  return `${JSON.stringify(results, null, 2)}\n`
}
