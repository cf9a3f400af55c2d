import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ServerTls } from '../tls/server-tls.ts'
import { nodeServer } from './create-http-server.ts'

export interface ExtraListener {
  port: number
  close: () => Promise<void>
}

/**
 * Serves a ready Fastify app on one more port: the same routes, hooks and
 * metrics, through `app.routing`, the handler its own server uses (so it also
 * answers 503 while the app closes). A Fastify instance listens on one port
 * only; this is for the seeds' HTTP port (SUMMA_COMPAT_PORTS). Timeouts are
 * createHttpServer's, and so is TLS when `tls` is given.
 */
export async function listenAlso(
  app: FastifyInstance,
  host: string,
  port: number,
  tls?: ServerTls,
  handshakeTimeoutMs = 5000,
): Promise<ExtraListener> {
  const server = nodeServer(
    { requestTimeout: 10_000, keepAliveTimeout: 5_000 },
    (request, response) => app.routing(request, response),
    tls,
    handshakeTimeoutMs,
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
