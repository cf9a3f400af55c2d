import type { Sql } from '../../shared/db.ts'

/**
 * Moves the stored offsets to a re-created topic (id `topicId`): every
 * partition restarts at offset 0 and records the new id, and the subtotals are
 * kept. Only once no published event is left unapplied (checkStoredOffsets).
 */
export async function restartOffsetsOnTopic(sql: Sql, topic: string, topicId: string): Promise<void> {
  await sql`
    update partition_totals set topic_id = ${topicId}, next_offset = 0
    where topic = ${topic} and topic_id is distinct from ${topicId}`
}
