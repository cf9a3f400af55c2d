import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * A registry of this process's own: never prom-client's global one, so tests
 * can create several services in one process without their metrics colliding.
 */
export function createRegistry(service: string, withDefaults = true): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  if (withDefaults) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 })
  return registry
}
