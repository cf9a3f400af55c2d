import { type Config, kafkaBrokers } from '../shared/config.ts'
import { createSql } from '../shared/db.ts'
import {
  createAdmin,
  createProducer,
  ensureTopicsWhenReachable,
  kafkaCheck,
  kafkaConnectionOf,
} from '../shared/kafka.ts'
import type { Lifecycle } from '../shared/lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { createRegistry } from '../shared/metrics.ts'
import { OpsPlane } from '../shared/ops-plane.ts'
import { outboxBacklog } from '../shared/outbox-backlog.ts'
import { postgresCheck } from '../shared/postgres-check.ts'
import { replicaIdOf } from '../shared/replica-id.ts'
import { type ServiceHooks, startServiceTracing } from '../shared/telemetry/service-tracing.ts'
import { databaseTlsOf } from '../shared/tls/database-tls.ts'
import { serverTlsOf } from '../shared/tls/tls-settings.ts'
import { whenPostgresAnswers } from '../shared/when-postgres-answers.ts'
import { deletePublished } from './db/delete-published.ts'
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
  const replica = replicaIdOf(config, 'relay')
  const brokers = kafkaBrokers(config)
  const sql = createSql({
    url: config.DATABASE_URL,
    poolSize: 4,
    applicationName: 'summa-relay',
    // postgres.js waits up to 20 s between attempts; a relay back from an outage must not.
    reconnectBackoffS: 1,
    // A pass holds the cursor, and with it every relay's publishing, for its whole
    // transaction: a relay paused mid-pass (SIGSTOP, a frozen VM) loses it after
    // this, and a standby goes on. Longer than a pass's slowest send (about 10 s).
    idleInTransactionTimeoutMs: 20_000,
    tls: databaseTlsOf(config),
  })
  lifecycle.defer('postgres', () => sql.end({ timeout: 5 }))
  const kafkaConnection = kafkaConnectionOf(config)
  const admin = createAdmin(brokers, `summa-relay-admin-${replica}`, kafkaConnection)
  lifecycle.defer('kafka-admin', () => admin.close())
  const producer = createProducer(brokers, `summa-relay-${replica}`, kafkaConnection)
  lifecycle.defer('kafka-producer', () => producer.close())

  const registry = createRegistry('relay', true, replica)
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

  // Set once the database has answered (below).
  let listener: { unlisten: () => Promise<void> } | undefined
  lifecycle.defer('listen', () => listener?.unlisten())

  const ops = await OpsPlane.start({
    service: 'relay',
    config,
    log,
    lifecycle,
    registry,
    checks: [postgresCheck(sql), kafkaCheck(admin, config.SUMMA_TOPIC)],
    retention: { name: 'delete-published', run: () => deletePublished(sql, publishedRetentionHours) },
  })
  const tls = await serverTlsOf(config, log, lifecycle)
  const httpPort = await ops.serve({ port: config.SUMMA_RELAY_HTTP_PORT, tls })

  const topic = {
    topic: config.SUMMA_TOPIC,
    partitions: config.SUMMA_TOPIC_PARTITIONS,
    replication: config.SUMMA_TOPIC_REPLICATION,
  }
  // After HTTP is up: while PostgreSQL is down the process answers /health 503
  // and waits here instead of exiting. Connect first, listen second: a LISTEN
  // that fails while the database is down stays registered in postgres.js and
  // would be doubled by a retry.
  const signal = lifecycle.signal
  await whenPostgresAnswers('connecting', () => sql`select 1`, signal, log)
  listener = await whenPostgresAnswers(
    'listening for outbox notifications',
    () => sql.listen('summa_outbox', () => relay.wake()),
    signal,
    log,
  )
  const done = (async () => {
    if (signal.aborted) return
    await ensureTopicsWhenReachable(admin, [topic], signal, log)
    // Without a database its passes fail and back off; the loop never exits.
    await relay.run(signal)
  })()
  // Registered last so it runs first: stop claiming, let the batch in flight finish.
  lifecycle.defer('relay-loop', () => done)

  log.info({ http: `${config.SUMMA_HOST}:${httpPort}`, topic: config.SUMMA_TOPIC }, 'relay running')
  return { httpPort, relay, done }
}
