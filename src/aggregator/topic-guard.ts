import type { Consumer } from '@platformatic/kafka'
import type { Sql } from '../shared/db.ts'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import { readOffsets, storedTopicIds } from './db/read-total.ts'

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
    await sql`
      update partition_totals set topic_id = ${topicId}, next_offset = 0
      where topic = ${topic} and topic_id is distinct from ${topicId}`
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
  await sql`update partition_totals set topic_id = ${topicId} where topic = ${topic} and topic_id is null`
  return { topicId, stored }
}

/** Events the relay published that no aggregator has applied (yet). */
async function publishedButUnapplied(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from outbox o
    where o.published_at is not null
      and not exists (select 1 from applied_events a where a.event_id = o.event_id)`
  return row?.n ?? 0
}
