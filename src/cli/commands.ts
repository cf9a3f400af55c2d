import { randomUUID } from 'node:crypto'
import { deadLetterTopicOf } from '../aggregator/start-aggregator.ts'
import { type Config, kafkaBrokers } from '../shared/config.ts'
import { createSql } from '../shared/db.ts'
import { createAdmin, ensureTopic, kafkaConnectionOf } from '../shared/kafka.ts'
import { grantServiceAcls } from '../shared/kafka-acls.ts'
import { ensureDatabase, migrate } from '../shared/migrate.ts'
import { databaseTlsOf } from '../shared/tls/database-tls.ts'
import { clientTlsOf } from '../shared/tls/tls-settings.ts'
import { CalculatorClient, channelCredentialsOf } from './calculator-client.ts'
import { authHeaders, authMetadata, requireAdminKey } from './credentials.ts'
import { httpGet } from './http-get.ts'

export interface Output {
  out: (line: string) => void
  err: (line: string) => void
}

/** `summa add NUM1 NUM2 [--id UUID]`: one Add; prints the answer as JSON. */
export async function addCommand(
  config: Config,
  args: { num1: string; num2: string; id?: string },
  io: Output,
  apiKey?: string,
): Promise<number> {
  const client = new CalculatorClient(
    `${config.SUMMA_HOST}:${config.SUMMA_GRPC_PORT}`,
    {},
    channelCredentialsOf(clientTlsOf(config)),
  )
  try {
    const response = await client.add({
      requestId: args.id ?? randomUUID(),
      num1: args.num1,
      num2: args.num2,
      metadata: authMetadata(apiKey),
    })
    io.out(JSON.stringify(response))
    return 0
  } catch (error) {
    const grpcError = error as { code?: number; details?: string; message?: string }
    io.err(`add failed: ${grpcError.details ?? grpcError.message} (gRPC status ${grpcError.code})`)
    return 1
  } finally {
    client.close()
  }
}

/** `summa total`: GET /total from the aggregator. */
export async function totalCommand(config: Config, io: Output, apiKey?: string): Promise<number> {
  const tls = clientTlsOf(config)
  const url = `${tls === undefined ? 'http' : 'https'}://${config.SUMMA_HOST}:${config.SUMMA_HTTP_PORT}/total`
  try {
    const { status, body } = await httpGet(url, { tls, timeoutMs: 5000, headers: authHeaders(apiKey) })
    if (status !== 200) {
      io.err(`GET ${url} answered ${status}: ${body}`)
      return 1
    }
    io.out(body)
    return 0
  } catch (error) {
    io.err(`cannot reach the aggregator at ${url}: ${(error as Error).message}`)
    return 1
  }
}

/** `summa migrate`: creates the database if needed, applies migrations, creates the topics. */
export async function migrateCommand(
  config: Config,
  io: Output,
  options: { topics?: boolean } = {},
): Promise<number> {
  if (await ensureDatabase(config.DATABASE_URL, databaseTlsOf(config)))
    io.out(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}`)
  const sql = createSql({
    url: config.DATABASE_URL,
    poolSize: 1,
    applicationName: 'summa-migrate',
    tls: databaseTlsOf(config),
  })
  try {
    const applied = await migrate(sql)
    io.out(applied.length > 0 ? `applied migrations ${applied.join(', ')}` : 'schema is up to date')
  } finally {
    await sql.end()
  }
  if (options.topics === false) return 0
  // On an authenticated broker migrate runs as the admin user: it creates the topics and the services' ACLs.
  const connection = kafkaConnectionOf(config)
  const admin = createAdmin(kafkaBrokers(config), 'summa-migrate', connection)
  try {
    const spec = {
      topic: config.SUMMA_TOPIC,
      partitions: config.SUMMA_TOPIC_PARTITIONS,
      replication: config.SUMMA_TOPIC_REPLICATION,
    }
    for (const topic of [spec, { ...spec, topic: deadLetterTopicOf(spec.topic) }]) {
      io.out(`topic ${topic.topic}: ${await ensureTopic(admin, topic)}`)
    }
    if (connection.sasl !== undefined) {
      const grants = await grantServiceAcls(admin, {
        topic: spec.topic,
        deadLetterTopic: deadLetterTopicOf(spec.topic),
        consumerGroup: config.SUMMA_CONSUMER_GROUP,
        relay: config.KAFKA_RELAY_USERNAME,
        aggregator: config.KAFKA_AGGREGATOR_USERNAME,
      })
      io.out(
        `ACLs: ${grants} grants for User:${config.KAFKA_RELAY_USERNAME} and User:${config.KAFKA_AGGREGATOR_USERNAME}`,
      )
    }
  } finally {
    await admin.close()
  }
  return 0
}

/**
 * `summa reset --yes`: deletes every request, event, applied event, total and
 * stored dead letter in the database. For development, together with deleting the broker's data:
 * the aggregator refuses offsets that belong to a topic that no longer exists.
 */
export async function resetCommand(
  config: Config,
  io: Output,
  confirmed: boolean,
  apiKey?: string,
): Promise<number> {
  if (!confirmed) {
    io.err("summa reset deletes all of summa's data in the database; run it as `summa reset --yes`")
    return 2
  }
  requireAdminKey(config, apiKey, 'summa reset')
  const sql = createSql({
    url: config.DATABASE_URL,
    poolSize: 1,
    applicationName: 'summa-reset',
    tls: databaseTlsOf(config),
  })
  try {
    await sql`truncate add_requests, outbox, applied_events, partition_totals, dead_letters`
    io.out(`reset: ${new URL(config.DATABASE_URL).pathname.slice(1)} holds no requests, events or totals`)
    return 0
  } finally {
    await sql.end()
  }
}
