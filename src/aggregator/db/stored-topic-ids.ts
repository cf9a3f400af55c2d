import type { Sql } from '../../shared/db.ts'

/** The Kafka topic ids the stored offsets were recorded against (normally one). */
export async function storedTopicIds(sql: Sql, topic: string): Promise<string[]> {
  const rows = await sql<{ topic_id: string }[]>`
    select distinct topic_id from partition_totals where topic = ${topic} and topic_id is not null`
  return rows.map((row) => row.topic_id)
}
