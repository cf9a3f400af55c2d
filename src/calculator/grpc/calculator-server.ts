import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { ReflectionService } from '@grpc/reflection'
import type { Span } from '@opentelemetry/api'
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check'
import type { AccessGuard } from '../../shared/auth/access-guard.ts'
import { ErrorCodes, SummaError } from '../../shared/errors.ts'
import type { AddRequest__Output } from '../../shared/generated/summa/v1/AddRequest.ts'
import type { AddResponse } from '../../shared/generated/summa/v1/AddResponse.ts'
import type { CalculatorServiceHandlers } from '../../shared/generated/summa/v1/CalculatorService.ts'
import { toGrpcError } from '../../shared/grpc-status.ts'
import type { Logger } from '../../shared/logger.ts'
import {
  type CalculatorProto,
  calculatorProtoFile,
  compatProtoFiles,
  loadCalculatorPackage,
  protoLoaderOptions,
} from '../../shared/proto.ts'
import { type ActiveTracing, semconv, spanKinds, spanStatusError } from '../../shared/telemetry/tracing.ts'
import type { ServerTls } from '../../shared/tls/server-tls.ts'
import type { AddService } from '../add-service.ts'
import type { CalculatorMetrics } from '../calculator-metrics.ts'
import { authorizedCalls } from './authorized-calls.ts'
import { addCompatServices, compatServiceNames } from './compat/seed-services.ts'
import { type GuardedListener, listenGuarded } from './guarded-listener.ts'
import { incompleteRequests } from './incomplete-requests.ts'
import { withPackageLessSymbols } from './package-less-reflection.ts'
import { rejectionReason } from './rejection-reason.ts'
import { isUndecodable, type MaybeUndecodable, withUndecodableRequests } from './undecodable-requests.ts'

export const calculatorServiceName = 'summa.v1.CalculatorService'
/** Every service Add is served under, each with its own grpc.health.v1 status. */
export const servedServiceNames = [calculatorServiceName, ...compatServiceNames]

/** What Add reads of a call: the seed-compatible services hand it their request, translated. */
export type AddCall = Pick<grpc.ServerUnaryCall<AddRequest__Output, AddResponse>, 'request' | 'metadata'>

export interface CalculatorServerOptions {
  addService: AddService
  log: Logger
  metrics: CalculatorMetrics
  /** Longest an Add may take on our side, whatever deadline the client set. */
  addTimeoutMs: number
  isClosing: () => boolean
  /** Undefined when tracing is off: the call's own traceparent, if any, is then passed through as is. */
  tracing?: ActiveTracing | undefined
  limits: ConnectionLimits
  /** TLS on every port it listens on (main and seed-compatible); undefined serves plaintext. */
  tls?: ServerTls | undefined
  /** Decides who may call what (API keys, scopes, rate limits). */
  guard: AccessGuard
}

export interface CalculatorServer {
  server: grpc.Server
  health: HealthImplementation
  /** Binds host:port (port 0 picks a free one) and returns the bound port. */
  listen: (host: string, port: number) => Promise<number>
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  close: (graceMs: number) => Promise<void>
}

/** Connection limits, from the configuration (the README says what each bounds). */
export interface ConnectionLimits {
  maxConnections: number
  maxConcurrentStreams: number
  /** For the HTTP/2 preface of a connection, and for the request of a call after its headers. */
  handshakeTimeoutMs: number
  maxConnectionIdleMs: number
  maxConnectionAgeMs: number
  /** How long calls in flight on a connection past its age may take to finish before it is cut. */
  maxConnectionAgeGraceMs: number
}

// Limits set on purpose rather than left at library defaults: an AddRequest is
// well under 200 bytes, so anything near these sizes is hostile or broken.
function serverOptions(limits: ConnectionLimits, guard: AccessGuard): grpc.ServerOptions {
  return {
    'grpc.max_receive_message_length': 16 * 1024,
    'grpc.max_send_message_length': 64 * 1024,
    // Per connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); across them the
    // group commit refuses Adds past its queue with UNAVAILABLE instead of queueing.
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    // Headers too (a traceparent is 55 bytes): the library default is the same 8 KB, stated here on purpose.
    'grpc.max_metadata_size': 8 * 1024,
    // A ping after a minute without traffic; no answer in 20 s closes the
    // connection, so a peer that vanished does not hold its slot under the cap.
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    // A connection with no call open for this long is closed (GOAWAY); a client
    // reconnects on its next call. This is what ends a connection that shook
    // hands and then sent nothing (SETTINGS only).
    'grpc.max_connection_idle_ms': limits.maxConnectionIdleMs,
    // Every connection ends eventually (GOAWAY, ±10 % jitter, then the grace
    // for its calls), so clients spread over replicas started later. It is also
    // what ends a stream whose client never closes its half: grpc-js answers
    // such a call (the DEADLINE_EXCEEDED of incompleteRequests) but, unlike
    // grpc-go, does not reset the stream, and an interceptor cannot reach it.
    'grpc.max_connection_age_ms': limits.maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': limits.maxConnectionAgeGraceMs,
    // Node's per-connection memory cap (grpc-node.max_session_memory) stays
    // off, as grpc-js leaves it: its authors found Node's behaviour degraded
    // badly once the cap was hit. The connection and stream caps, the
    // handshake timeout and the message limits bound memory instead.
    // Channelz keeps per-call bookkeeping for a debugging service summa does not expose.
    'grpc.enable_channelz': 0,
    // In this order: a refusal's status then also stops incompleteRequests' timer.
    interceptors: [incompleteRequests(limits.handshakeTimeoutMs), authorizedCalls(guard)],
  }
}

const traceparentPattern = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/

export function createCalculatorServer(options: CalculatorServerOptions): CalculatorServer {
  const { addService, log, metrics, addTimeoutMs, isClosing, tracing, limits, tls, guard } = options
  const packageDefinition = loadCalculatorPackage()
  const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as CalculatorProto
  const server = new grpc.Server(serverOptions(limits, guard))

  const handlers = {
    // `api` is the gRPC service called: the seed-compatible ones (compat/) answer through this same Add.
    Add(call: AddCall, callback: grpc.sendUnaryData<AddResponse>, api: string = calculatorServiceName) {
      const stopTimer = metrics.startRpc('Add', api)
      const requestId = call.request.requestId
      const header = call.metadata.get('traceparent')[0]
      const incoming = typeof header === 'string' && traceparentPattern.test(header) ? header : null
      // The server span continues the caller's trace; its context is what the
      // outbox stores, so the relay and the aggregator continue the same trace.
      const span = tracing === undefined ? undefined : startServerSpan(tracing, incoming, requestId, api)
      const traceparent = span === undefined || tracing === undefined ? incoming : tracing.inject(span)
      const reply = (error: unknown, response?: AddResponse): void => {
        if (error === null) {
          stopTimer('OK')
          span?.setAttribute(semconv.rpcGrpcStatusCode, grpc.status.OK)
          span?.end()
          callback(null, response)
          return
        }
        const grpcError = toGrpcError(error)
        stopTimer(grpc.status[grpcError.code] ?? 'UNKNOWN')
        const reason = rejectionReason(error)
        if (reason !== undefined) metrics.rejected.inc({ reason })
        if (span !== undefined) {
          span.setAttribute(semconv.rpcGrpcStatusCode, grpcError.code)
          span.setStatus({ code: spanStatusError, message: grpc.status[grpcError.code] ?? 'UNKNOWN' })
          span.end()
        }
        if (grpcError.code === grpc.status.INTERNAL)
          log.error({ err: error, request_id: requestId }, 'Add failed')
        else
          log.debug(
            { code: grpcError.code, details: grpcError.details, request_id: requestId },
            'Add rejected',
          )
        callback({ code: grpcError.code, details: grpcError.details, metadata: new grpc.Metadata() })
      }
      if (isClosing()) {
        reply(
          new SummaError(ErrorCodes.SHUTTING_DOWN, 'calculator is shutting down; retry on another replica'),
        )
        return
      }
      const request = call.request as MaybeUndecodable<AddRequest__Output>
      if (isUndecodable(request)) {
        reply(new SummaError(ErrorCodes.INVALID_ARGUMENT, 'the request is not a valid summa.v1.AddRequest'))
        return
      }
      const work = (): Promise<void> =>
        withTimeout(addService.add(call.request, traceparent), addTimeoutMs).then(
          (result) => {
            if (result.replayed) {
              metrics.replays.inc()
              log.debug({ request_id: requestId }, 'Add replayed')
            }
            reply(null, {
              requestId: result.requestId,
              sum: result.sum.toString(),
              replayed: result.replayed,
              acceptedAt: result.acceptedAt.toISOString(),
            })
          },
          (error: unknown) => reply(error),
        )
      if (span === undefined || tracing === undefined) void work()
      else void tracing.withSpan(span, work)
    },
  } satisfies CalculatorServiceHandlers
  server.addService(withUndecodableRequests(proto.summa.v1.CalculatorService.service), handlers)
  addCompatServices(server, handlers.Add)

  const health = new HealthImplementation(
    Object.fromEntries(['', ...servedServiceNames].map((name) => [name, 'NOT_SERVING'])),
  )
  health.addToServer(server)
  // Reflection describes health too, so `grpcurl … grpc.health.v1.Health/Check` works without protos.
  const described = protoLoader.loadSync(
    [calculatorProtoFile, ...compatProtoFiles, healthProtoPath],
    protoLoaderOptions,
  )
  new ReflectionService(described).addToServer(withPackageLessSymbols(server, described))

  // One per port: the main one, and the seeds' ports when those are on.
  const listeners: GuardedListener[] = []
  let closing: Promise<void> | undefined
  return {
    server,
    health,
    listen: async (host, port) => {
      const listener = await listenGuarded({
        server,
        host,
        port,
        maxConnections: limits.maxConnections,
        handshakeTimeoutMs: limits.handshakeTimeoutMs,
        log,
        tls,
      })
      listeners.push(listener)
      return listener.port
    },
    close: (graceMs) => {
      // Stop accepting now; each listener's own promise settles when grpc-js has closed the sessions.
      for (const listener of listeners) void listener.close()
      closing ??= new Promise((resolve) => {
        const force = setTimeout(() => {
          log.warn({ graceMs }, 'in-flight calls did not finish in time: closing them')
          server.forceShutdown()
          resolve()
        }, graceMs)
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      })
      return closing
    },
  }
}

function startServerSpan(
  tracing: ActiveTracing,
  incoming: string | null,
  requestId: string,
  api: string,
): Span {
  return tracing.tracer.startSpan(
    `${calculatorServiceName}/Add`,
    {
      kind: spanKinds.server,
      attributes: {
        [semconv.rpcSystem]: 'grpc',
        [semconv.rpcService]: calculatorServiceName,
        [semconv.rpcMethod]: 'Add',
        'summa.request_id': requestId,
        'summa.api': api,
      },
    },
    tracing.extract(incoming),
  )
}

/**
 * Stops waiting after `ms`. The work itself is not cancelled: a group commit
 * may still commit, which is why the client is told DEADLINE_EXCEEDED (outcome
 * unknown; retry with the same id) and not a plain failure.
 */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SummaError(
            ErrorCodes.DEADLINE_EXCEEDED,
            `no answer within ${ms} ms; retry with the same request_id`,
          ),
        ),
      ms,
    )
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
