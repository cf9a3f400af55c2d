import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'

/**
 * Sampling interval of the event-loop delay monitor behind the default
 * `nodejs_eventloop_lag_{min,max,mean,p50,p90,p99}_seconds` gauges. Node's
 * monitor records the time between two runs of a timer of this period, so an
 * idle loop reads about this much: the loop's actual lag is the gauge minus
 * this value. (`nodejs_eventloop_lag_seconds` is measured otherwise and does
 * not include it.)
 */
export const eventLoopResolutionMs = 10

/**
 * A registry of this process's own: never prom-client's global one, so tests
 * can create several services in one process without their metrics colliding.
 */
export function createRegistry(service: string, withDefaults = true, replica?: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  // One series per process naming its replica, instead of a replica label on every
  // series: join on `instance` when a query needs it (docs/OBSERVABILITY.md).
  if (replica !== undefined) {
    new Gauge({
      name: 'summa_replica_info',
      help: 'Always 1; names the replica (SUMMA_REPLICA_ID) this process is',
      labelNames: ['replica'],
      registers: [registry],
    }).set({ replica }, 1)
  }
  if (withDefaults) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: eventLoopResolutionMs })
    for (const name of gaugesNamedLikeCounters) registry.removeSingleMetric(name)
  }
  return registry
}

/**
 * prom-client's default gauges with a counter's `_total` suffix, which
 * `promtool check metrics` refuses (and `rate()` on them would be wrong). Each is
 * the sum of the by-type gauge beside it: `sum(nodejs_active_handles)` and so on.
 */
const gaugesNamedLikeCounters = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]
