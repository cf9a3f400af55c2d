import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'

export interface ExtraListener {
  port: number
  close: () => Promise<void>
}

/**
 * Serves a ready Fastify app on one more port: the same routes, hooks and
 * metrics, through `app.routing`, the handler its own server uses (so it also
 * answers 503 while the app closes). A Fastify instance listens on one port
 * only; this is for the seeds' HTTP port (SUMMA_COMPAT_PORTS). Timeouts are
 * createHttpServer's.
 */
export async function listenAlso(app: FastifyInstance, host: string, port: number): Promise<ExtraListener> {
  const server = createServer({ requestTimeout: 10_000, keepAliveTimeout: 5_000 }, (request, response) =>
    app.routing(request, response),
  )
  server.setTimeout(10_000)
  server.listen(port, host)
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error
    }),
  ])
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        // In-flight responses finish; idle keep-alive sockets would hold close() open.
        server.closeIdleConnections()
      }),
  }
}
