import { toAuditLine } from '../shared/audit/audit-line.ts'
import { AccessGuard, logAccessMode } from '../shared/auth/access-guard.ts'
import { accessModeOf } from '../shared/auth/protected-mode.ts'
import { type Config, kafkaBrokers, rateLimitOf } from '../shared/config.ts'
import { createSql } from '../shared/db.ts'
import { deadLetterTopicOf } from '../shared/dead-letter-topic.ts'
import { loadEventKeys, requireVerifier } from '../shared/event-keys.ts'
import { boundPort, createHttpServer, httpLimitsOf } from '../shared/http/create-http-server.ts'
import { listenAlso } from '../shared/http/extra-listener.ts'
import { registerOpenApi } from '../shared/http/openapi.ts'
import { requireScope } from '../shared/http/require-scope.ts'
import {
  createAdmin,
  createProducer,
  ensureTopicsWhenReachable,
  kafkaCheck,
  kafkaConnectionOf,
  topicExists,
} from '../shared/kafka.ts'
import type { Lifecycle } from '../shared/lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { createRegistry } from '../shared/metrics.ts'
import { OpsPlane } from '../shared/ops-plane.ts'
import { outboxBacklog } from '../shared/outbox-backlog.ts'
import { postgresCheck } from '../shared/postgres-check.ts'
import type { Readiness } from '../shared/readiness.ts'
import { replicaIdOf } from '../shared/replica-id.ts'
import { type ServiceHooks, startServiceTracing } from '../shared/telemetry/service-tracing.ts'
import { databaseTlsOf } from '../shared/tls/database-tls.ts'
import { serverTlsOf } from '../shared/tls/tls-settings.ts'
import { whenPostgresAnswers } from '../shared/when-postgres-answers.ts'
import { createAggregatorMetrics } from './aggregator-metrics.ts'
import { catchUpAuditLog } from './audit-catch-up.ts'
import { AuditLog } from './audit-log.ts'
import { ConsoleFeed } from './console/console-feed.ts'
import { registerConsoleRoutes } from './console/console-routes.ts'
import { ConsumerLag } from './consumer-lag.ts'
import { addsPerSecond } from './db/adds-per-second.ts'
import { expireAppliedEvents } from './db/expire-applied-events.ts'
import { readTotal } from './db/read-total.ts'
import { recentEvents } from './db/recent-events.ts'
import { DeadLetterWriter } from './dead-letter-writer.ts'
import { EventConsumer } from './event-consumer.ts'
import { registerCompatRoutes } from './http/compat-routes.ts'
import { registerTotalRoutes } from './http/total-routes.ts'
import { readPartitionOwners } from './partition-owners.ts'
import { PartitionProgress } from './partition-progress.ts'
import { SumFile } from './sum-file.ts'
import { TotalView, totalsChannel } from './total-view.ts'

export interface RunningAggregator {
  httpPort: number
  /** SUMMA_AGGREGATOR_OPS_PORT as bound (health and metrics); undefined when they share httpPort. */
  opsPort: number | undefined
  /** Seed 003's HTTP port (SUMMA_COMPAT_PORTS), as bound; undefined when off. */
  compatHttpPort: number | undefined
  readiness: Readiness
  sumFile: SumFile
  auditLog: AuditLog
}

/** GET /total is served from memory; this bounds its age should notifications stop arriving. */
const totalMaxAgeMs = 1000

export async function startAggregator(
  config: Config,
  log: Logger,
  lifecycle: Lifecycle,
  hooks: ServiceHooks = {},
): Promise<RunningAggregator> {
  // Protected mode: decided before anything is opened, so a refusal leaves nothing behind.
  const accessMode = accessModeOf(config)
  // Checked before anything is opened: without a key every event would be dead-lettered as unverifiable.
  const verifier = requireVerifier(await loadEventKeys(config))
  log.info({ keyIds: verifier.keyIds }, 'verifying event signatures')
  const tracing = await startServiceTracing(config, 'aggregator', lifecycle, hooks)
  const replica = replicaIdOf(config, 'aggregator')
  const brokers = kafkaBrokers(config)
  const topic = config.SUMMA_TOPIC
  const sql = createSql({
    url: config.DATABASE_URL,
    poolSize: 4,
    applicationName: 'summa-aggregator',
    // postgres.js waits up to 20 s between attempts; an aggregator back from an outage must not.
    reconnectBackoffS: 1,
    tls: databaseTlsOf(config),
  })
  lifecycle.defer('postgres', () => sql.end({ timeout: 5 }))
  const kafkaConnection = kafkaConnectionOf(config)
  const admin = createAdmin(brokers, `summa-aggregator-admin-${replica}`, kafkaConnection)
  lifecycle.defer('kafka-admin', () => admin.close())
  const producer = createProducer(brokers, `summa-aggregator-dlq-${replica}`, kafkaConnection)
  lifecycle.defer('kafka-producer', () => producer.close())

  const registry = createRegistry('aggregator', true, replica)
  const rateLimit = rateLimitOf(config)
  const guard = await AccessGuard.create({ mode: accessMode, rateLimit, registry })
  logAccessMode(log, accessMode, rateLimit)

  const lag = new ConsumerLag({ admin, sql, topic })
  const metrics = createAggregatorMetrics(registry, () => lag.read())
  const progress = new PartitionProgress()
  progress.registerGauge(registry)

  // The files are outputs rebuilt from the database: brought up to date once it answers (below).
  const sumFile = new SumFile(config.SUMMA_DATA_DIR)
  const auditLog = new AuditLog(config.SUMMA_DATA_DIR)
  let auditedSeq = await auditLog.open()
  lifecycle.defer('audit-log', () => auditLog.close())
  const totals = new TotalView({
    read: () => readTotal(sql, topic),
    onChange: (total) => {
      metrics.total.set(Number(total.total))
      sumFile
        .write(total.total)
        .catch((error: unknown) => log.error({ err: error }, 'writing sum.txt failed'))
    },
    maxAgeMs: totalMaxAgeMs,
  })
  const refreshTotals = (): void => {
    totals.refresh().catch((error: unknown) => log.warn({ err: error }, 'reading the total failed'))
  }
  let listener: { unlisten: () => Promise<void> } | undefined
  lifecycle.defer('listen', () => listener?.unlisten())
  // Not ready until the start-up work that needs the database is done.
  let started = false

  const consumer = new EventConsumer({
    sql,
    brokers,
    connection: kafkaConnection,
    groupId: config.SUMMA_CONSUMER_GROUP,
    clientId: `summa-aggregator-${replica}`,
    sessionTimeoutMs: config.SUMMA_CONSUMER_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: config.SUMMA_CONSUMER_HEARTBEAT_INTERVAL_MS,
    topic,
    verifier,
    deadLetters: new DeadLetterWriter({
      producer,
      deadLetterTopic: deadLetterTopicOf(topic),
      topic,
      counter: metrics.deadLetters,
      progress,
      topicExists: (name) => topicExists(admin, name),
      log,
    }),
    progress,
    batchSize: config.SUMMA_AGGREGATOR_BATCH_SIZE,
    batchWaitMs: config.SUMMA_AGGREGATOR_BATCH_WAIT_MS,
    metrics,
    log,
    tracing: tracing.active,
    onApplied: async (result) => {
      if (result.applied.length === 0) return
      lag.noteApplied(result.applied)
      // The total, its gauge and sum.txt follow the commit's notification (TotalView).
      await auditLog.append(result.applied.map((event) => toAuditLine(topic, event)))
    },
  })

  const ops = await OpsPlane.start({
    service: 'aggregator',
    config,
    log,
    lifecycle,
    registry,
    checks: [
      postgresCheck(sql),
      kafkaCheck(admin, topic),
      {
        name: 'start-up',
        check: async () => {
          if (!started) throw new Error('catching up from the database')
        },
      },
      {
        name: 'offsets',
        check: async () => {
          if (consumer.dataLoss) throw consumer.dataLoss
        },
      },
      progress.check(config.SUMMA_AGGREGATOR_STALL_LIMIT_MS),
    ],
    retention: {
      name: 'expire-applied-events',
      run: () => expireAppliedEvents(sql, config.SUMMA_IDEMPOTENCY_RETENTION_HOURS),
    },
  })

  const tls = await serverTlsOf(config, log, lifecycle)
  const http = createHttpServer({
    log,
    tls,
    limits: httpLimitsOf(config),
  })
  // Before any route: every route but health, metrics and the contract needs the read scope.
  requireScope(http, guard, 'read')
  // Before any route: it collects their schemas into GET /openapi.json.
  await registerOpenApi(http)
  // Health and metrics with the API, or on an ops port of their own (opened below).
  if (config.SUMMA_AGGREGATOR_OPS_PORT === undefined) ops.registerRoutes(http)
  else ops.countRequestsOf(http)
  registerTotalRoutes(http, () => totals.read())
  registerCompatRoutes(http, () => totals.read())
  const consoleFeed = new ConsoleFeed(
    {
      readTotal: () => totals.read(),
      addsPerSecond: () => addsPerSecond(sql, 5),
      recentEvents: () => recentEvents(sql, 12),
      lag: () => lag.read(),
      owners: () => readPartitionOwners(admin, config.SUMMA_CONSUMER_GROUP, topic),
      outbox: () => outboxBacklog(sql),
      applyLatency: metrics.recentApplySeconds,
      endToEnd: metrics.recentEndToEndSeconds,
    },
    log,
  )
  registerConsoleRoutes(http, consoleFeed, { maxClients: config.SUMMA_SSE_MAX_CLIENTS })
  await http.listen({ host: config.SUMMA_HOST, port: config.SUMMA_HTTP_PORT })
  lifecycle.defer('http', () => http.close())
  const opsPort =
    config.SUMMA_AGGREGATOR_OPS_PORT === undefined
      ? undefined
      : await ops.serve({
          port: config.SUMMA_AGGREGATOR_OPS_PORT,
          tls,
          name: 'ops-http',
          countRequests: false,
        })
  // Seed 003's HTTP port serves the same routes, so its /summation readers work without edits.
  let compatHttpPort: number | undefined
  if (config.SUMMA_COMPAT_PORTS) {
    const compat = await listenAlso(
      http,
      config.SUMMA_HOST,
      config.SUMMA_COMPAT_HTTP_PORT,
      tls,
      config.SUMMA_HANDSHAKE_TIMEOUT_MS,
    )
    lifecycle.defer('compat-http', compat.close)
    compatHttpPort = compat.port
  }

  // Start-up work that needs the database, after HTTP is up: while PostgreSQL
  // is down the process answers /health 503 and waits here instead of exiting.
  const signal = lifecycle.signal
  await whenPostgresAnswers(
    'catching the audit log up',
    () =>
      catchUpAuditLog({ sql, auditLog, afterSeq: auditedSeq, log, onAppended: (seq) => (auditedSeq = seq) }),
    signal,
    log,
  )
  // Listening before the first read, so that no commit falls in between; every
  // (re)connection of the listener reads again, since notifications sent while
  // it was away are lost. After the catch-up: a LISTEN that fails while the
  // database is down stays registered in postgres.js and would be doubled by a retry.
  listener = await whenPostgresAnswers(
    'listening for total notifications',
    () => sql.listen(totalsChannel, refreshTotals, refreshTotals),
    signal,
    log,
  )
  const initial = await whenPostgresAnswers('reading the total', () => totals.refresh(), signal, log)
  if (initial !== undefined) {
    await sumFile.write(initial.total)
    started = true
    // Not the last period's "catching up": /health is current when this returns.
    await ops.readiness.probe()
  }

  const done = (async () => {
    if (signal.aborted) return
    const spec = {
      topic,
      partitions: config.SUMMA_TOPIC_PARTITIONS,
      replication: config.SUMMA_TOPIC_REPLICATION,
    }
    const deadLetters = { ...spec, topic: deadLetterTopicOf(topic) }
    await ensureTopicsWhenReachable(admin, [spec, deadLetters], signal, log)
    await consumer.run(signal)
  })()
  // Registered last so it runs first: finish the batch in progress, leave the group.
  lifecycle.defer('consumer', () => done)

  const httpPort = boundPort(http)
  log.info(
    { http: `${config.SUMMA_HOST}:${httpPort}`, opsPort, compatHttpPort, total: initial?.total },
    'aggregator running',
  )
  return { httpPort, opsPort, compatHttpPort, readiness: ops.readiness, sumFile, auditLog }
}
