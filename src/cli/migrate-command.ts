import type { Output } from '../shared/command-output.ts'
import { type Config, kafkaBrokers } from '../shared/config.ts'
import { createSql } from '../shared/db.ts'
import { deadLetterTopicOf } from '../shared/dead-letter-topic.ts'
import { createAdmin, ensureTopic, kafkaConnectionOf } from '../shared/kafka.ts'
import { grantServiceAcls } from '../shared/kafka-acls.ts'
import { ensureDatabase, migrate } from '../shared/migrate.ts'
import { databaseTlsOf } from '../shared/tls/database-tls.ts'

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
