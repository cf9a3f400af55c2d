import type { TransactionSql } from 'postgres'

/** Marks claimed rows published; only called after the broker acknowledged them. */
export async function markPublished(tx: TransactionSql, ids: string[]): Promise<void> {
  await tx`update outbox set published_at = clock_timestamp() where id = any(${ids}::int8[])`
}
