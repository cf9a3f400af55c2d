import type { Output } from '../shared/command-output.ts'
import { type Config, kafkaBrokers } from '../shared/config.ts'
import { deadLetterTopicOf } from '../shared/dead-letter-topic.ts'
import { createProducer, kafkaConnectionOf } from '../shared/kafka.ts'
import { redriveDeadLetters } from './redrive.ts'

/**
 * `summa dlq redrive [--skip-invalid] [--dry-run]`: prints the report as JSON;
 * exits 1 when a dead letter still does not decode (its partition stopped there).
 */
export async function dlqRedriveCommand(
  config: Config,
  args: { skipInvalid: boolean; dryRun: boolean },
  io: Output,
): Promise<number> {
  const brokers = kafkaBrokers(config)
  const deadLetterTopic = deadLetterTopicOf(config.SUMMA_TOPIC)
  // On an authenticated broker, credentials that may read the dead-letter topic and write the topic (the admin's).
  const connection = kafkaConnectionOf(config)
  const producer = createProducer(brokers, 'summa-dlq-redrive', connection)
  try {
    const report = await redriveDeadLetters({
      brokers,
      connection,
      deadLetterTopic,
      groupId: `${config.SUMMA_CONSUMER_GROUP}-dlq-redrive`,
      producer,
      skipInvalid: args.skipInvalid,
      dryRun: args.dryRun,
    })
    io.out(JSON.stringify({ deadLetterTopic, dryRun: args.dryRun, ...report }, null, 2))
    return report.stillInvalid.length > 0 ? 1 : 0
  } finally {
    await producer.close().catch(() => {})
  }
}
