import Fastify, { type FastifyInstance, LogController } from 'fastify'
import type { Logger } from '../logger.ts'
import { useZodSchemas } from './openapi.ts'

export interface HttpServerOptions {
  log: Logger
  /** Requests above this are refused with 413 before they are parsed. */
  bodyLimitBytes?: number
}

/**
 * A Fastify instance with summa's defaults: our logger (no per-request lines), a small body limit (no route takes a body yet), and bounded
 * timeouts so slow clients cannot hold sockets forever.
 */
export function createHttpServer({ log, bodyLimitBytes = 64 * 1024 }: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }),
    // Per-request lines would dominate the log under load; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
    requestTimeout: 10_000,
    connectionTimeout: 10_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
  }) as unknown as FastifyInstance
  return useZodSchemas(app)
}

/** The port a listening server is bound to (the one picked when it was asked for port 0). */
export function boundPort(app: FastifyInstance): number {
  const address = app.server.address()
  return typeof address === 'object' && address !== null ? address.port : 0
}
