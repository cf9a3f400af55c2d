import { type Config, kafkaBrokers, kafkaSasl } from '../shared/config.ts'
import { createSql } from '../shared/db.ts'
import { boundPort, createHttpServer } from '../shared/http/create-http-server.ts'
import { registerOpsRoutes } from '../shared/http/ops-routes.ts'
import { createAdmin, createProducer, ensureTopicsWhenReachable, kafkaCheck } from '../shared/kafka.ts'
import type { Lifecycle } from '../shared/lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { createRegistry } from '../shared/metrics.ts'
import { startPeriodic } from '../shared/periodic.ts'
import { postgresCheck } from '../shared/postgres-check.ts'
import { Readiness } from '../shared/readiness.ts'
import { type ServiceHooks, startServiceTracing } from '../shared/telemetry/service-tracing.ts'
import { deletePublished, outboxBacklog } from './db/claim-pending.ts'
import { OutboxRelay } from './outbox-relay.ts'
import { createRelayMetrics } from './relay-metrics.ts'

export interface RunningRelay {
  httpPort: number
  relay: OutboxRelay
  /** Settles when the relay loop has stopped (after shutdown began). */
  done: Promise<void>
}

/** Published rows are kept this long for inspection, then deleted. */
const publishedRetentionHours = 1

export async function startRelay(
  config: Config,
  log: Logger,
  lifecycle: Lifecycle,
  hooks: ServiceHooks = {},
): Promise<RunningRelay> {
  const tracing = await startServiceTracing(config, 'relay', lifecycle, hooks)
  const brokers = kafkaBrokers(config)
  const sasl = kafkaSasl(config)
  const sql = createSql({ url: config.DATABASE_URL, poolSize: 4, applicationName: 'summa-relay' })
  lifecycle.defer('postgres', () => sql.end({ timeout: 5 }))
  const admin = createAdmin(brokers, 'summa-relay-admin', sasl)
  lifecycle.defer('kafka-admin', () => admin.close())
  const producer = createProducer(brokers, 'summa-relay', sasl)
  lifecycle.defer('kafka-producer', () => producer.close())

  const registry = createRegistry('relay')
  const metrics = createRelayMetrics(registry, () => outboxBacklog(sql))
  const relay = new OutboxRelay({
    sql,
    producer,
    topic: config.SUMMA_TOPIC,
    batchSize: config.SUMMA_RELAY_BATCH_SIZE,
    pollIntervalMs: config.SUMMA_RELAY_POLL_INTERVAL_MS,
    lingerMs: config.SUMMA_RELAY_LINGER_MS,
    metrics,
    log,
    tracing: tracing.active,
  })

  const listener = await sql.listen('summa_outbox', () => relay.wake())
  lifecycle.defer('listen', () => listener.unlisten())

  const readiness = new Readiness({
    checks: [postgresCheck(sql), kafkaCheck(admin, config.SUMMA_TOPIC)],
    intervalMs: 1000,
    timeoutMs: 900,
    log,
  })
  await readiness.start()
  lifecycle.defer('readiness', () => readiness.stop())

  const stopRetention = startPeriodic({
    name: 'delete-published',
    intervalMs: 60_000,
    run: () => deletePublished(sql, publishedRetentionHours),
    log,
  })
  lifecycle.defer('delete-published', stopRetention)

  const http = createHttpServer({
    log,
    limits: {
      maxConnections: config.SUMMA_HTTP_MAX_CONNECTIONS,
      handshakeTimeoutMs: config.SUMMA_HANDSHAKE_TIMEOUT_MS,
    },
  })
  registerOpsRoutes(http, { readiness, registry, service: 'relay' })
  await http.listen({ host: config.SUMMA_HOST, port: config.SUMMA_RELAY_HTTP_PORT })
  lifecycle.defer('http', () => http.close())

  const topic = {
    topic: config.SUMMA_TOPIC,
    partitions: config.SUMMA_TOPIC_PARTITIONS,
    replication: config.SUMMA_TOPIC_REPLICATION,
  }
  const done = (async () => {
    await ensureTopicsWhenReachable(admin, [topic], lifecycle.signal, log)
    await relay.run(lifecycle.signal)
  })()
  // Registered last so it runs first: stop claiming, let the batch in flight finish.
  lifecycle.defer('relay-loop', () => done)

  const httpPort = boundPort(http)
  log.info({ http: `${config.SUMMA_HOST}:${httpPort}`, topic: config.SUMMA_TOPIC }, 'relay running')
  return { httpPort, relay, done }
}
