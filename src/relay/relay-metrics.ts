import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { OutboxBacklog } from '../shared/outbox-backlog.ts'

export interface RelayMetrics {
  batchSize: Histogram
  publishSeconds: Histogram
  published: Counter
  publishErrors: Counter
}

export function createRelayMetrics(registry: Registry, backlog: () => Promise<OutboxBacklog>): RelayMetrics {
  // Both backlog gauges come from one query, run when Prometheus scrapes.
  let latest: Promise<OutboxBacklog> | undefined
  const read = (): Promise<OutboxBacklog> => {
    latest ??= backlog().finally(() => {
      latest = undefined
    })
    return latest
  }
  new Gauge({
    name: 'summa_outbox_pending_events',
    help: 'Outbox rows not yet published to Kafka',
    registers: [registry],
    async collect() {
      this.set((await read()).pending)
    },
  })
  new Gauge({
    name: 'summa_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when none)',
    registers: [registry],
    async collect() {
      this.set((await read()).oldestAgeSeconds)
    },
  })
  return {
    batchSize: new Histogram({
      name: 'summa_relay_batch_events',
      help: 'Events published per relay batch',
      buckets: [1, 5, 10, 50, 100, 500, 1000, 5000],
      registers: [registry],
    }),
    publishSeconds: new Histogram({
      name: 'summa_relay_publish_duration_seconds',
      help: 'Time from claiming a batch to the broker acknowledging it',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    published: new Counter({
      name: 'summa_relay_published_events_total',
      help: 'Events the broker acknowledged and the relay marked published',
      registers: [registry],
    }),
    publishErrors: new Counter({
      name: 'summa_relay_publish_errors_total',
      help: 'Relay batches that failed and were left pending for a retry',
      registers: [registry],
    }),
  }
}
