import type { Consumer } from '@platformatic/kafka'
import type { Sql } from '../shared/db.ts'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import { publishedButUnapplied } from './db/published-but-unapplied.ts'
import { readOffsets } from './db/read-offsets.ts'
import { recordTopicId } from './db/record-topic-id.ts'
import { restartOffsetsOnTopic } from './db/restart-offsets-on-topic.ts'
import { storedTopicIds } from './db/stored-topic-ids.ts'

/**
 * Checks, before consuming, that the offsets stored in PostgreSQL belong to the
 * topic as it exists now. A topic deleted and re-created under the same name
 * (or a broker whose data was wiped while PostgreSQL kept its state) restarts
 * its offsets at 0: trusting the stored offsets would skip every new record as
 * "already applied". Returns the topic's id, which new partition rows record.
 */
export async function checkStoredOffsets(
  consumer: Pick<Consumer, 'metadata' | 'listOffsets'>,
  sql: Sql,
  topic: string,
): Promise<{ topicId: string; stored: Map<number, bigint> }> {
  const metadata = await consumer.metadata({ topics: [topic], forceUpdate: true })
  const topicId = metadata.topics.get(topic)?.id
  if (topicId === undefined) throw new SummaError(ErrorCodes.UNAVAILABLE, `topic ${topic} not found`)
  const known = await storedTopicIds(sql, topic)
  const foreign = known.filter((id) => id !== topicId)
  if (foreign.length > 0) {
    // The stored offsets belong to a topic that no longer exists. If every event
    // published to it has been applied, nothing the total needs was lost with it
    // (the relay keeps a published row until its event is applied): continue on
    // the new topic from its start, keeping the subtotals. Otherwise stop.
    const unapplied = await publishedButUnapplied(sql)
    if (unapplied > 0) {
      throw new SummaError(
        ErrorCodes.DATA_LOSS,
        `topic ${topic} has id ${topicId} but the stored offsets belong to ${foreign.join(', ')}: ` +
          `it was re-created, or the broker lost its data, with ${unapplied} published events never applied; ` +
          'the total cannot continue from these offsets',
      )
    }
    await restartOffsetsOnTopic(sql, topic, topicId)
  }
  const stored = await readOffsets(sql, topic)
  const latest = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? []
  for (const [partition, next] of stored) {
    const end = latest[partition]
    if (end !== undefined && next > end) {
      throw new SummaError(
        ErrorCodes.DATA_LOSS,
        `partition ${partition} of ${topic} ends at offset ${end} but ${next} records were already applied: ` +
          'the broker lost records the total includes',
      )
    }
  }
  await recordTopicId(sql, topic, topicId)
  return { topicId, stored }
}
