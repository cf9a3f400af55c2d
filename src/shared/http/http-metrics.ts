import type { FastifyInstance } from 'fastify'
import { Counter, Histogram, type Registry } from 'prom-client'

/**
 * Request rate, status codes and durations of an HTTP server, by route
 * template (never the raw URL, which would let clients create label values).
 */
export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'summa_http_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'code'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'summa_http_request_duration_seconds',
    help: 'HTTP request duration from receipt to the last byte of the answer, by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const method = request.method
    requests.inc({ method, route, code: String(reply.statusCode) })
    duration.observe({ method, route }, reply.elapsedTime / 1000)
  })
}
