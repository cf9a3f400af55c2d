import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { Config } from './config.ts'
import { boundPort, createHttpServer, httpLimitsOf } from './http/create-http-server.ts'
import { registerHttpMetrics } from './http/http-metrics.ts'
import { registerOpsRoutes } from './http/ops-routes.ts'
import type { Lifecycle } from './lifecycle.ts'
import type { Logger } from './logger.ts'
import { startPeriodic } from './periodic.ts'
import { type DependencyCheck, Readiness } from './readiness.ts'
import type { ServerTls } from './tls/server-tls.ts'

/** Every dependency is probed this often; a probe that takes longer than the timeout fails, so probes never pile up. */
const probeIntervalMs = 1000
const probeTimeoutMs = 900
/** How often a service deletes what has outlived its retention. */
const retentionIntervalMs = 60_000

export interface OpsPlaneOptions {
  service: 'calculator' | 'relay' | 'aggregator'
  config: Pick<Config, 'SUMMA_HOST' | 'SUMMA_HTTP_MAX_CONNECTIONS' | 'SUMMA_HANDSHAKE_TIMEOUT_MS'>
  log: Logger
  lifecycle: Lifecycle
  /** The service's metrics, served at GET /metrics. */
  registry: Registry
  /** The dependencies GET /health reports on. */
  checks: DependencyCheck[]
  /** Told whenever readiness flips (the calculator's grpc.health.v1 follows it). */
  onReadyChange?: (ready: boolean) => void
  /** The service's housekeeping, run every minute: `name` in the logs and on the lifecycle. */
  retention: { name: string; run: () => Promise<unknown> }
}

export interface OpsServerOptions {
  port: number
  tls: ServerTls | undefined
  /** The resource's name on the lifecycle (its close is logged under it). */
  name?: string
  /** Count this server's requests in `summa_http_*`; false when the process's API server is counted instead. */
  countRequests?: boolean
}

/**
 * What each service runs beside its work, the same in all three: readiness
 * probes of its dependencies (GET /health, and whatever follows `onReadyChange`),
 * one periodic retention task, and the HTTP server that answers GET /health,
 * /health/live and /metrics. Each part registers its own cleanup on the
 * lifecycle as it starts, so a start-up that fails halfway releases what was
 * started, and shutdown stops them newest first: the ops server stops
 * answering, the retention task finishes its run, readiness stops probing.
 */
export class OpsPlane {
  readonly readiness: Readiness
  readonly #options: OpsPlaneOptions

  private constructor(options: OpsPlaneOptions, readiness: Readiness) {
    this.#options = options
    this.readiness = readiness
  }

  /** Probes the dependencies once (so /health is current from the start), then starts the retention task. */
  static async start(options: OpsPlaneOptions): Promise<OpsPlane> {
    const { log, lifecycle, retention } = options
    const readiness = new Readiness({
      checks: options.checks,
      intervalMs: probeIntervalMs,
      timeoutMs: probeTimeoutMs,
      log,
      ...(options.onReadyChange === undefined ? {} : { onChange: options.onReadyChange }),
    })
    await readiness.start()
    lifecycle.defer('readiness', () => readiness.stop())
    const stopRetention = startPeriodic({
      name: retention.name,
      intervalMs: retentionIntervalMs,
      run: retention.run,
      log,
    })
    lifecycle.defer(retention.name, stopRetention)
    return new OpsPlane(options, readiness)
  }

  /** Adds the ops routes (and the count of its requests) to a server of the service's own. */
  registerRoutes(app: FastifyInstance, countRequests = true): void {
    const { registry, service } = this.#options
    registerOpsRoutes(app, { readiness: this.readiness, registry, service, httpMetrics: countRequests })
  }

  /** Counts `app`'s requests in `summa_http_*`, for an API server whose ops routes are served elsewhere. */
  countRequestsOf(app: FastifyInstance): void {
    registerHttpMetrics(app, this.#options.registry)
  }

  /**
   * Opens an HTTP server answering only the ops routes on SUMMA_HOST:`port`,
   * closed on shutdown; returns the port it is bound to (the one picked for 0).
   */
  async serve({ port, tls, name = 'http', countRequests = true }: OpsServerOptions): Promise<number> {
    const { config, log, lifecycle } = this.#options
    const app = createHttpServer({ log, tls, limits: httpLimitsOf(config) })
    this.registerRoutes(app, countRequests)
    await app.listen({ host: config.SUMMA_HOST, port })
    lifecycle.defer(name, () => app.close())
    return boundPort(app)
  }
}
