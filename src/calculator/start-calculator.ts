import { AccessGuard, logAccessMode } from '../shared/auth/access-guard.ts'
import { accessModeOf } from '../shared/auth/protected-mode.ts'
import { type Config, rateLimitOf } from '../shared/config.ts'
import { createSql } from '../shared/db.ts'
import { loadEventKeys, requireSigningKey } from '../shared/event-keys.ts'
import type { Lifecycle } from '../shared/lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { createRegistry } from '../shared/metrics.ts'
import { OpsPlane } from '../shared/ops-plane.ts'
import { postgresCheck } from '../shared/postgres-check.ts'
import type { Readiness } from '../shared/readiness.ts'
import { replicaIdOf } from '../shared/replica-id.ts'
import { type ServiceHooks, startServiceTracing } from '../shared/telemetry/service-tracing.ts'
import { databaseTlsOf } from '../shared/tls/database-tls.ts'
import { serverTlsOf } from '../shared/tls/tls-settings.ts'
import { AddService } from './add-service.ts'
import { createCalculatorMetrics } from './calculator-metrics.ts'
import { type AcceptRow, acceptRequests, type StoredRequest } from './db/accept-requests.ts'
import { expireRequests } from './db/expire-requests.ts'
import { GroupCommit } from './group-commit.ts'
import { createCalculatorServer, servedServiceNames } from './grpc/calculator-server.ts'
import { createPostgresBreaker } from './postgres-breaker.ts'

export interface RunningCalculator {
  grpcPort: number
  /** The seeds' gRPC ports (SUMMA_COMPAT_PORTS), as bound; empty when off. */
  compatGrpcPorts: number[]
  httpPort: number
  readiness: Readiness
}

/**
 * Starts the calculator: gRPC Add (with reflection and grpc.health.v1) and an
 * ops HTTP server (/health, /metrics). Everything it opens is registered on
 * `lifecycle`, which closes it in reverse order: readiness fails first, the gRPC
 * server drains its calls, pending group commits finish, then the pool closes.
 */
export async function startCalculator(
  config: Config,
  log: Logger,
  lifecycle: Lifecycle,
  hooks: ServiceHooks = {},
): Promise<RunningCalculator> {
  // Protected mode: decided before anything is opened, so a refusal leaves nothing behind.
  const accessMode = accessModeOf(config)
  // Checked before anything is opened: without a key the calculator could not sign what it accepts.
  const signingKey = requireSigningKey(await loadEventKeys(config))
  log.info({ keyId: signingKey.id }, 'signing events')
  const tracing = await startServiceTracing(config, 'calculator', lifecycle, hooks)
  const sql = createSql({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: 'summa-calculator',
    // Fail fast while PostgreSQL is down; the circuit breaker below paces the retries.
    reconnectBackoffS: 0.1,
    tls: databaseTlsOf(config),
  })
  lifecycle.defer('postgres', () => sql.end({ timeout: 5 }))

  const registry = createRegistry('calculator', true, replicaIdOf(config, 'calculator'))
  const metrics = createCalculatorMetrics(registry)
  const rateLimit = rateLimitOf(config)
  const guard = await AccessGuard.create({ mode: accessMode, rateLimit, registry })
  logAccessMode(log, accessMode, rateLimit)
  // PostgreSQL down: refuse Adds at once (UNAVAILABLE) instead of queueing them behind it.
  const postgresBreaker = createPostgresBreaker(
    (rows: AcceptRow[]) => {
      // Counted here, inside the breaker, so refused batches are not taken for commits.
      metrics.groupCommitRows.observe(rows.length)
      return acceptRequests(sql, rows, signingKey)
    },
    {
      registry,
      log,
      slowCommitMs: config.SUMMA_ADD_TIMEOUT_MS,
    },
  )
  lifecycle.defer('postgres-breaker', () => postgresBreaker.breaker.shutdown())
  const groupCommit = new GroupCommit<AcceptRow, StoredRequest>({
    commit: postgresBreaker.commit,
    maxRows: config.SUMMA_GROUP_COMMIT_MAX_ROWS,
    waitMs: config.SUMMA_GROUP_COMMIT_WAIT_MS,
    // Keep a connection spare for health checks and housekeeping.
    maxInFlight: Math.max(1, config.DATABASE_POOL_SIZE - 2),
    maxQueued: config.SUMMA_GROUP_COMMIT_MAX_ROWS * 20,
  })
  const addService = new AddService({
    groupCommit,
    cacheSize: config.SUMMA_REPLAY_CACHE_SIZE,
    cacheTtlMs: config.SUMMA_REPLAY_CACHE_TTL_MS,
  })

  // Loaded before anything listens: a certificate that does not load stops start-up.
  const tls = await serverTlsOf(config, log, lifecycle)
  const grpcServer = createCalculatorServer({
    tls,
    addService,
    log,
    metrics,
    addTimeoutMs: config.SUMMA_ADD_TIMEOUT_MS,
    isClosing: () => lifecycle.closing,
    tracing: tracing.active,
    guard,
    limits: {
      maxConnections: config.SUMMA_GRPC_MAX_CONNECTIONS,
      maxConcurrentStreams: config.SUMMA_GRPC_MAX_CONCURRENT_STREAMS,
      handshakeTimeoutMs: config.SUMMA_HANDSHAKE_TIMEOUT_MS,
      maxConnectionIdleMs: config.SUMMA_GRPC_MAX_CONNECTION_IDLE_MS,
      maxConnectionAgeMs: config.SUMMA_GRPC_MAX_CONNECTION_AGE_MS,
      // The longest an Add takes on our side, so an Add in flight at that point still finishes.
      maxConnectionAgeGraceMs: config.SUMMA_ADD_TIMEOUT_MS + 1000,
    },
  })
  const ops = await OpsPlane.start({
    service: 'calculator',
    config,
    log,
    lifecycle,
    registry,
    checks: [postgresCheck(sql)],
    onReadyChange: (ready) => {
      const status = ready ? 'SERVING' : 'NOT_SERVING'
      for (const name of ['', ...servedServiceNames]) grpcServer.health.setStatus(name, status)
    },
    retention: {
      name: 'expire-requests',
      run: () => expireRequests(sql, config.SUMMA_IDEMPOTENCY_RETENTION_HOURS),
    },
  })

  const grpcPort = await grpcServer.listen(config.SUMMA_HOST, config.SUMMA_GRPC_PORT)
  lifecycle.defer('grpc-server', () => grpcServer.close(0))
  // The same server on the seeds' own ports: every service answers on each of them.
  const compatGrpcPorts: number[] = []
  if (config.SUMMA_COMPAT_PORTS) {
    for (const port of config.SUMMA_COMPAT_GRPC_PORTS)
      compatGrpcPorts.push(await grpcServer.listen(config.SUMMA_HOST, port))
  }

  // Bound after gRPC so that a 200 from /health means Add is being served.
  const httpPort = await ops.serve({ port: config.SUMMA_CALCULATOR_HTTP_PORT, tls })

  // Runs first on shutdown: report not ready (HTTP 503, gRPC NOT_SERVING), let
  // in-flight calls finish, and wait for their group commits to land.
  lifecycle.defer('drain', async () => {
    ops.readiness.stop()
    await grpcServer.close(Math.max(1000, config.SUMMA_SHUTDOWN_TIMEOUT_MS - 3000))
    await groupCommit.drain()
  })
  log.info(
    { grpc: `${config.SUMMA_HOST}:${grpcPort}`, http: `${config.SUMMA_HOST}:${httpPort}`, compatGrpcPorts },
    'calculator listening',
  )
  return { grpcPort, compatGrpcPorts, httpPort, readiness: ops.readiness }
}
