import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { PartitionLag } from './consumer-lag.ts'
import { DeadLetterOutcomes } from './dead-letter-outcomes.ts'
import { LatencyWindow } from './latency-window.ts'

export interface AggregatorMetrics {
  batchSize: Histogram
  applySeconds: Histogram
  endToEndSeconds: Histogram
  applied: Counter
  duplicates: Counter
  deadLetters: Counter
  /** summa_total_value, and under its old name summa_running_total until that is removed. */
  total: { set: (value: number) => void }
  /** Recent observations of the two latencies above, for the live console. */
  recentApplySeconds: LatencyWindow
  recentEndToEndSeconds: LatencyWindow
}

/**
 * `lag` is read when Prometheus scrapes; the lag gauges are absent when it
 * fails (Kafka down), rather than showing a stale number.
 */
export function createAggregatorMetrics(
  registry: Registry,
  lag?: () => Promise<PartitionLag[]>,
): AggregatorMetrics {
  if (lag !== undefined) registerLagGauges(registry, lag)
  const deadLetters = new Counter({
    name: 'summa_dead_letters_total',
    help:
      'Records that could not be applied, by where they went: published (a copy on the dead-letter topic), ' +
      'reference (the copy was refused; a reference to the original was sent), stored (both refused; kept in PostgreSQL)',
    labelNames: ['outcome'],
    registers: [registry],
  })
  // Every outcome from the start, at 0: alerts and dashboards see a series, not "no data".
  for (const outcome of Object.values(DeadLetterOutcomes)) deadLetters.inc({ outcome }, 0)
  return {
    deadLetters,
    recentApplySeconds: new LatencyWindow(),
    recentEndToEndSeconds: new LatencyWindow(),
    batchSize: new Histogram({
      name: 'summa_consumer_batch_records',
      help: 'Records per aggregator transaction',
      buckets: [1, 5, 10, 50, 100, 500, 1000, 5000],
      registers: [registry],
    }),
    applySeconds: new Histogram({
      name: 'summa_consumer_apply_duration_seconds',
      help: 'Time to apply one batch in PostgreSQL, commit included',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    endToEndSeconds: new Histogram({
      name: 'summa_end_to_end_latency_seconds',
      help: 'From the Add being accepted to its sum being committed to the total',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    applied: new Counter({
      name: 'summa_consumer_applied_events_total',
      help: 'Events added to the running total',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'summa_consumer_skipped_events_total',
      help: 'Records skipped because they were already applied, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    total: totalGauges(registry),
  }
}

/**
 * The running total as a gauge, `summa_total_value`. It was `summa_running_total`, a
 * counter's suffix on a gauge (promtool refuses it, and it invites `rate()`); the old
 * name is still exported, with the same value, for one release (CHANGELOG), so that
 * dashboards and alerts built on it can move.
 */
function totalGauges(registry: Registry): { set: (value: number) => void } {
  const total = new Gauge({
    name: 'summa_total_value',
    help: 'The running total as of the last committed batch (a float: exact value at GET /total)',
    registers: [registry],
  })
  const deprecated = new Gauge({
    name: deprecatedTotalMetric,
    help: 'Deprecated, kept for one release (CHANGELOG): the same value as summa_total_value',
    registers: [registry],
  })
  return {
    set: (value: number) => {
      total.set(value)
      deprecated.set(value)
    },
  }
}

/** The old name of summa_total_value, exported for one release more (CHANGELOG), then removed. */
export const deprecatedTotalMetric = 'summa_running_total'

function registerLagGauges(registry: Registry, lag: () => Promise<PartitionLag[]>): void {
  let latest: Promise<PartitionLag[] | undefined> | undefined
  const read = (): Promise<PartitionLag[] | undefined> => {
    latest ??= lag()
      .catch(() => undefined)
      .finally(() => {
        latest = undefined
      })
    return latest
  }
  new Gauge({
    name: 'summa_consumer_lag_offsets',
    help: "Records on the broker not yet applied: end offset minus the aggregator's stored next offset",
    labelNames: ['partition'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const entry of (await read()) ?? [])
        this.set({ partition: String(entry.partition) }, entry.offsets)
    },
  })
  new Gauge({
    name: 'summa_consumer_lag_seconds',
    help: 'Estimated wait of the oldest unapplied record since its Add was accepted (0 when caught up)',
    labelNames: ['partition'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const entry of (await read()) ?? [])
        this.set({ partition: String(entry.partition) }, entry.seconds)
    },
  })
}
