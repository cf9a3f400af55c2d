import { Registry } from 'prom-client'
import { ConsoleFeed } from '../../src/aggregator/console/console-feed.ts'
import { registerConsoleRoutes } from '../../src/aggregator/console/console-routes.ts'
import { registerCompatRoutes } from '../../src/aggregator/http/compat-routes.ts'
import { registerTotalRoutes } from '../../src/aggregator/http/total-routes.ts'
import { createHttpServer } from '../../src/shared/http/create-http-server.ts'
import { registerOpenApi } from '../../src/shared/http/openapi.ts'
import { registerOpsRoutes } from '../../src/shared/http/ops-routes.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { Readiness } from '../../src/shared/readiness.ts'

/**
 * The aggregator's OpenAPI document (docs/openapi.json), without PostgreSQL or
 * Kafka: the same route registrations, in the same order as
 * src/aggregator/start-aggregator.ts, on dependencies that are never called.
 * test/integration/openapi.test.ts checks that a running aggregator serves
 * exactly this document, so the two cannot drift apart.
 */
export async function openApiDocument(): Promise<unknown> {
  const log = createLogger({ level: 'silent', service: 'aggregator' })
  const unused = () => Promise.reject(new Error('not called while generating the document'))
  const app = createHttpServer({ log, limits: { maxConnections: 1, handshakeTimeoutMs: 1000 } })
  try {
    await registerOpenApi(app)
    registerOpsRoutes(app, {
      readiness: new Readiness({ checks: [], intervalMs: 1000, timeoutMs: 1000, log }),
      registry: new Registry(),
      service: 'aggregator',
    })
    registerTotalRoutes(app, unused)
    registerCompatRoutes(app, unused)
    const noWindow = { percentiles: () => ({}) } as never
    registerConsoleRoutes(
      app,
      new ConsoleFeed(
        {
          readTotal: unused,
          addsPerSecond: unused,
          recentEvents: unused,
          lag: unused,
          owners: unused,
          outbox: unused,
          applyLatency: noWindow,
          endToEnd: noWindow,
        },
        log,
      ),
      { maxClients: 1 },
    )
    await app.ready()
    return app.swagger()
  } finally {
    await app.close()
  }
}
