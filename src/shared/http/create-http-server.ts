import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import Fastify, { type FastifyInstance, LogController } from 'fastify'
import type { Config } from '../config.ts'
import { ErrorCodes } from '../errors.ts'
import { httpErrorOf, httpStatusByCode } from '../http-status.ts'
import type { Logger } from '../logger.ts'
import { throttledCount } from '../throttled-count.ts'
import type { ServerTls } from '../tls/server-tls.ts'
import { useZodSchemas } from './openapi.ts'

/** Connection limits, from the configuration (the README says what each bounds). */
export interface HttpLimits {
  /** Open connections; one more is closed as soon as it is accepted. */
  maxConnections: number
  /** The request line and headers must have arrived by then (slowloris, silent connections). */
  handshakeTimeoutMs: number
}

/** The limits from the configuration, the same for every service's HTTP server. */
export function httpLimitsOf(
  config: Pick<Config, 'SUMMA_HTTP_MAX_CONNECTIONS' | 'SUMMA_HANDSHAKE_TIMEOUT_MS'>,
): HttpLimits {
  return {
    maxConnections: config.SUMMA_HTTP_MAX_CONNECTIONS,
    handshakeTimeoutMs: config.SUMMA_HANDSHAKE_TIMEOUT_MS,
  }
}

export interface HttpServerOptions {
  log: Logger
  limits: HttpLimits
  /** Requests above this are refused with 413 before they are parsed. */
  bodyLimitBytes?: number
  /** HTTPS (mTLS if it requires client certificates) instead of HTTP; undefined serves plaintext. */
  tls?: ServerTls | undefined
}

/** The whole request (headers and body) must have arrived by then; a socket with no traffic this long is closed. */
const requestTimeoutMs = 10_000
const keepAliveTimeoutMs = 5_000
/**
 * How often Node looks for requests past their headers or request timeout. Its
 * default, 30 s, is what let a half-sent request hold its socket 30 s and more
 * whatever the timeouts said; a scan of at most `maxConnections` sockets twice
 * a second costs nothing measurable.
 */
const timeoutCheckIntervalMs = 500

/**
 * A Fastify instance with summa's defaults: our logger (no per-request lines),
 * a small body limit (no route takes a body yet), bounded timeouts and a
 * connection cap so slow or silent clients cannot hold sockets forever, and
 * every error answered as `{"error": CODE, "message"}` through httpErrorOf.
 * A path that exists answers another method with 405 and `Allow`; one that
 * does not, with 404.
 */
export function createHttpServer({
  log,
  limits,
  bodyLimitBytes = 64 * 1024,
  tls,
}: HttpServerOptions): FastifyInstance {
  const dropped = throttledCount<'overLimit' | 'noTls'>(
    log,
    tls === undefined
      ? 'HTTP connections closed: over the connection limit'
      : 'HTTP connections closed: over the connection limit, or a failed TLS handshake (not TLS, no valid client certificate, none in time)',
    { maxConnections: limits.maxConnections },
  )
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }),
    // Per-request lines would dominate the log under load; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
    return503OnClosing: true,
    // Our own node:http server, because Fastify passes on neither Node's
    // headersTimeout nor the interval at which Node enforces the timeouts.
    serverFactory: (handler) => {
      const server = nodeServer(
        {
          headersTimeout: limits.handshakeTimeoutMs,
          requestTimeout: Math.max(requestTimeoutMs, limits.handshakeTimeoutMs),
          connectionsCheckingInterval: timeoutCheckIntervalMs,
        },
        handler,
        tls,
        limits.handshakeTimeoutMs,
        () => dropped.add('noTls'),
      )
      server.keepAliveTimeout = keepAliveTimeoutMs
      server.setTimeout(requestTimeoutMs)
      server.maxConnections = limits.maxConnections
      server.on('drop', () => dropped.add('overLimit'))
      server.once('close', () => dropped.stop())
      return server
    },
  }) as unknown as FastifyInstance

  // Which methods each path takes, for 405's Allow header.
  const methodsByPath = new Map<string, Set<string>>()
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>()
    for (const method of [route.method].flat()) methods.add(method)
    if (methods.has('GET')) methods.add('HEAD')
    methodsByPath.set(route.url, methods)
  })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? request.url
    const allowed = methodsByPath.get(path)
    if (allowed === undefined) {
      return reply
        .code(httpStatusByCode[ErrorCodes.NOT_FOUND])
        .send({ error: ErrorCodes.NOT_FOUND, message: `no route ${request.method} ${path}` })
    }
    const allow = [...allowed].sort().join(', ')
    return reply
      .code(httpStatusByCode[ErrorCodes.METHOD_NOT_ALLOWED])
      .header('allow', allow)
      .send({
        error: ErrorCodes.METHOD_NOT_ALLOWED,
        message: `${path} takes ${allow}, not ${request.method}`,
      })
  })
  app.setErrorHandler((error, _request, reply) => {
    const answer = httpErrorOf(error)
    if (answer.status >= 500) log.error({ err: error }, 'request failed')
    return reply.code(answer.status).send({ error: answer.code, message: answer.message })
  })
  return useZodSchemas(app)
}

// node:http as CommonJS exports, not an ESM import: building the ESM namespace of node:http
// reads each of its exports, WebSocket among them, which loads Node's bundled undici and the
// web streams it needs, ~2.3 MB of heap (and ~5 MB resident) in every service for code none
// of them runs.
const { createServer } = process.getBuiltinModule('node:http')

type Handler = (request: IncomingMessage, response: ServerResponse) => void
interface Timeouts {
  headersTimeout?: number
  requestTimeout: number
  keepAliveTimeout?: number
  connectionsCheckingInterval?: number
}

/**
 * A node:http server, or with `tls` a node:https one with the same timeouts:
 * the TLS handshake has `handshakeTimeoutMs` (Node's default is 120 s), and a
 * reloaded certificate is what the next connection gets.
 */
export function nodeServer(
  timeouts: Timeouts,
  handler: Handler,
  tls: ServerTls | undefined,
  handshakeTimeoutMs: number,
  onTlsError: () => void = () => {},
): Server {
  if (tls === undefined) return createServer(timeouts, handler)
  const server = createHttpsServer(
    {
      ...timeouts,
      ...tls.contextOptions(),
      requestCert: tls.requireClientCert,
      rejectUnauthorized: tls.requireClientCert,
      handshakeTimeout: handshakeTimeoutMs,
    },
    handler,
  )
  const unsubscribe = tls.onReload(() => server.setSecureContext(tls.contextOptions()))
  server.once('close', unsubscribe)
  // A client that is not TLS, has no valid certificate or is too slow fails the handshake; Node closes the socket.
  server.on('tlsClientError', onTlsError)
  return server as unknown as Server
}

/** The port a listening server is bound to (the one picked when it was asked for port 0). */
export function boundPort(app: FastifyInstance): number {
  const address = app.server.address()
  return typeof address === 'object' && address !== null ? address.port : 0
}
