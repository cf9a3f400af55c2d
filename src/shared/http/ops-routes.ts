import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import type { Readiness } from '../readiness.ts'
import { registerHttpMetrics } from './http-metrics.ts'

export interface OpsRoutesOptions {
  readiness: Readiness
  registry: Registry
  service: string
  /** Count this server's requests in `summa_http_*` (false when another server of the process does). */
  httpMetrics?: boolean
}

// The bodies of the routes below: their OpenAPI schemas (docs/openapi.json) and reply types.
const healthType = 'application/health+json'
const checkSchema = z.object({
  status: z.enum(['pass', 'fail']),
  time: z.iso.datetime().describe('when the dependency was last probed'),
  observedValue: z.number().describe('how long the probe took'),
  observedUnit: z.literal('ms'),
  output: z.string().optional().describe('why the probe failed'),
})
const healthSchema = z
  .object({
    status: z.enum(['pass', 'fail']),
    serviceId: z.string().describe('calculator, relay or aggregator'),
    checks: z
      .record(z.string(), z.array(checkSchema))
      .describe('per dependency, "<name>:connection" (postgres, kafka)'),
  })
  .describe('draft-inadarei-api-health-check')
const healthResponses = {
  200: {
    description: 'every dependency answered its last probe',
    content: { [healthType]: { schema: healthSchema } },
  },
  503: {
    description: 'a dependency did not answer its last probe',
    content: { [healthType]: { schema: healthSchema } },
  },
}
const liveSchema = z.object({ status: z.literal('pass'), serviceId: z.string() })
const metricsSchema = z.string().describe('Prometheus text exposition format 0.0.4')

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
  { readiness, registry, service, httpMetrics = true }: OpsRoutesOptions,
): void {
  if (httpMetrics) registerHttpMetrics(app, registry)
  const typed = app.withTypeProvider<ZodTypeProvider>()
  typed.get(
    '/health',
    { schema: { summary: 'Readiness', security: [], response: healthResponses } },
    async (_request, reply) => {
      const ready = readiness.ready
      const checks = Object.fromEntries(
        readiness.results.map((result) => [
          `${result.name}:connection`,
          [
            {
              status: result.ok ? ('pass' as const) : ('fail' as const),
              time: result.observedAt,
              observedValue: Math.round(result.durationMs * 100) / 100,
              observedUnit: 'ms' as const,
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
    },
  )

  typed.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process is up, whatever its dependencies',
        security: [],
        response: { 200: { description: 'alive', content: { [healthType]: { schema: liveSchema } } } },
      },
    },
    async (_request, reply) => reply.type(healthType).send({ status: 'pass', serviceId: service }),
  )

  typed.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        security: [],
        response: { 200: { description: 'metrics', content: { 'text/plain': { schema: metricsSchema } } } },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  )
}
