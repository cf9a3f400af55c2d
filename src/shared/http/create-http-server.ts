import Fastify, { type FastifyInstance } from 'fastify'
import type { Logger } from '../logger.ts'

export interface HttpServerOptions {
  log: Logger
  /** Requests above this are refused with 413 before they are parsed. */
  bodyLimitBytes?: number
}

/**
 * A Fastify instance with summa's defaults: our logger (request logs at debug,
 * not info), a small body limit (no route takes a body yet), and bounded
 * timeouts so slow clients cannot hold sockets forever.
 */
export function createHttpServer({ log, bodyLimitBytes = 64 * 1024 }: HttpServerOptions): FastifyInstance {
  return Fastify({
    loggerInstance: log.child({ component: 'http' }),
    disableRequestLogging: true,
    bodyLimit: bodyLimitBytes,
    requestTimeout: 10_000,
    connectionTimeout: 10_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
  }) as unknown as FastifyInstance
}
