import { collectDefaultMetrics, Registry } from 'prom-client'

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
export function createRegistry(service: string, withDefaults = true): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  if (withDefaults)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: eventLoopResolutionMs })
  return registry
}
