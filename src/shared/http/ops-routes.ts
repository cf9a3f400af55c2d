import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { Readiness } from '../readiness.ts'
import { registerHttpMetrics } from './http-metrics.ts'

export interface OpsRoutesOptions {
  readiness: Readiness
  registry: Registry
  service: string
}

/**
 * GET /health answers in the application/health+json format
 * (draft-inadarei-api-health-check): 200 with status "pass" when every
 * dependency answered its last probe, 503 with status "fail" otherwise, each
 * failing check with a reason code and never the error's text. GET
 * /health/live only says the process is up, for a liveness probe that must not
 * restart a healthy process because its database is down. GET /metrics is
 * Prometheus text.
 */
export function registerOpsRoutes(
  app: FastifyInstance,
  { readiness, registry, service }: OpsRoutesOptions,
): void {
  registerHttpMetrics(app, registry)
  app.get('/health', async (_request, reply) => {
    const ready = readiness.ready
    const checks = Object.fromEntries(
      readiness.results.map((result) => [
        `${result.name}:connection`,
        [
          {
            status: result.ok ? 'pass' : 'fail',
            time: result.observedAt,
            observedValue: Math.round(result.durationMs * 100) / 100,
            observedUnit: 'ms',
            // A reason code only: the error's text (hosts, ports, driver messages) is logged instead.
            ...(result.reason === undefined ? {} : { output: result.reason }),
          },
        ],
      ]),
    )
    return reply
      .code(ready ? 200 : 503)
      .type('application/health+json')
      .send({ status: ready ? 'pass' : 'fail', serviceId: service, checks })
  })

  app.get('/health/live', async (_request, reply) =>
    reply.type('application/health+json').send({ status: 'pass', serviceId: service }),
  )

  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  )
}
