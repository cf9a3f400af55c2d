import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { packageVersion } from '../version.ts'

/**
 * Route schemas are zod schemas (declared beside each route, through
 * fastify-type-provider-zod): one declaration gives the TypeScript type of the
 * reply, the validation and the OpenAPI document. A JSON response that does not
 * match its schema fails as a 500 instead of breaking the contract quietly, and
 * properties the schema does not name are not sent.
 */
export function useZodSchemas(app: FastifyInstance): FastifyInstance {
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  return app
}

/** The error body every summa HTTP server answers with (createHttpServer's error and not-found handlers). */
export const errorBodySchema = z
  .object({
    error: z.string().describe("a code from summa's closed list (src/shared/errors.ts)"),
    message: z.string(),
  })
  .describe('an error')

const description = `summa's REST API: the aggregator (port 8080, SUMMA_HTTP_PORT) serves every route here.
The calculator (8081) and the relay (8082) serve /health, /health/live and /metrics with the same schemas.
Generated from the route schemas in code; committed as docs/openapi.json.`

/**
 * @fastify/swagger collects every route registered after it (an onRoute hook),
 * so this runs before any route; GET /openapi.json serves the document.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'summa', version: packageVersion(), description },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key (`summa keys create`), required when the server has keys configured (docs/SECURITY.md); ' +
              'a server on loopback without keys takes requests without one. Browsers may send it as the password of ' +
              'Basic authentication. Without a known key: 401; without the read scope: 403; over the rate limit: 429.',
          },
        },
      },
      // Every route needs it but those that say `security: []` (health, metrics, this document).
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  })
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This document (OpenAPI 3.1)',
        security: [],
        response: { 200: z.looseObject({ openapi: z.string() }).describe('the OpenAPI document') },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()),
  )
}
