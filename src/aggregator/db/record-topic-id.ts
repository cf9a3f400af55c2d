import type { Sql } from '../../shared/db.ts'

/** Records the topic's id on partition rows written without one (applyBatch before the id was known). */
export async function recordTopicId(sql: Sql, topic: string, topicId: string): Promise<void> {
  await sql`update partition_totals set topic_id = ${topicId} where topic = ${topic} and topic_id is null`
}
