import type { Statements } from '../../shared/pipelined-transaction.ts'

/** A dead letter the dead-letter topic refused, kept in PostgreSQL instead (dead_letters). */
export interface StoredDeadLetter {
  partition: number
  offset: bigint
  reason: string
  /** The broker's error code that made the topic refuse it, e.g. MESSAGE_TOO_LARGE. */
  refusedBy: string
  key: Buffer | null
  value: Buffer
  headers: Array<{ key: string; value: string }>
  size: number
  sha256: string
}

/**
 * Inserts dead letters inside the transaction that moves the offset past them
 * (applyBatch), so one is never lost between the refusal and the commit; a
 * record stored before (re-read after a rebalance) is not stored twice.
 */
export async function storeDeadLetters(
  tx: Statements,
  topic: string,
  letters: StoredDeadLetter[],
): Promise<void> {
  // One statement per letter: they are rare, and bytea arrays are awkward to bind.
  for (const letter of letters) {
    await tx`
      insert into dead_letters (topic, partition, "offset", reason, refused_by, key, value, headers, size, sha256)
      values (${topic}, ${letter.partition}, ${letter.offset.toString()}, ${letter.reason}, ${letter.refusedBy},
              ${letter.key}, ${letter.value}, ${JSON.stringify(letter.headers)}::jsonb, ${letter.size}, ${letter.sha256})
      on conflict (topic, partition, "offset") do nothing`
  }
}
