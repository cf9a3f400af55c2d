import { type AppliedEvent, type AppliedEventRow, toAppliedEvent } from '../../shared/audit/applied-event.ts'
import type { Sql } from '../../shared/db.ts'
import { ErrorCodes, SummaError } from '../../shared/errors.ts'
import { pipelinedTransaction } from '../../shared/pipelined-transaction.ts'
import type { SumEvent } from '../../shared/sum-event.ts'
import { type Conflict, findConflicts } from './find-conflicts.ts'
import { type StoredDeadLetter, storeDeadLetters } from './store-dead-letters.ts'

/** One record read from the topic, decoded (event) or not (poison). */
export interface ConsumedRecord {
  partition: number
  offset: bigint
  event: SumEvent | null
}

export interface ApplyResult {
  /** Events added to the total by this batch, in offset order per partition. */
  applied: AppliedEvent[]
  /** Events whose id was applied before (a relay re-send): skipped. */
  duplicates: number
  /** Records below the stored offset (re-read after a restart or rebalance): skipped. */
  stale: number
  poison: number
  /** The sum this batch added to the total. */
  delta: bigint
  /**
   * Records whose event id was applied before with different content: not a
   * re-send but a conflict. When there are any, nothing was committed; the
   * caller dead-letters them and applies the batch again without them.
   */
  conflicts: Conflict[]
}

/** Thrown inside the transaction to roll it back when conflicts are found. */
class ConflictsFound {
  readonly conflicts: Conflict[]
  constructor(conflicts: Conflict[]) {
    this.conflicts = conflicts
  }
}

/**
 * Applies a batch in one transaction, which is what makes the effect exactly
 * once: the partitions' rows are locked, records below each stored offset are
 * skipped (they were applied by an earlier transaction, possibly by another
 * aggregator before a rebalance), event ids already applied are skipped (relay
 * re-sends), and the subtotals, counts and next offsets move together with the
 * applied_events rows. Either all of that commits or none of it does.
 *
 * A record above the stored offset with nothing read in between means records
 * were deleted (retention passed them) or the topic was re-created: applying on
 * would silently drop sums, so the batch fails with DATA_LOSS instead.
 */
export async function applyBatch(
  sql: Sql,
  topic: string,
  records: ConsumedRecord[],
  topicId: string | null = null,
  deadLetters: StoredDeadLetter[] = [],
): Promise<ApplyResult> {
  try {
    return await applyInTransaction(sql, topic, records, topicId, deadLetters)
  } catch (error) {
    if (!(error instanceof ConflictsFound)) throw error
    return { applied: [], duplicates: 0, stale: 0, poison: 0, delta: 0n, conflicts: error.conflicts }
  }
}

async function applyInTransaction(
  sql: Sql,
  topic: string,
  records: ConsumedRecord[],
  topicId: string | null,
  deadLetters: StoredDeadLetter[],
): Promise<ApplyResult> {
  const partitions = [...new Set(records.map((record) => record.partition))].sort((a, b) => a - b)
  // BEGIN goes out with the first two statements, and the totals' update with the COMMIT
  // (src/shared/pipelined-transaction.ts): three round trips a batch.
  return pipelinedTransaction(sql, async (tx) => {
    // Both statements go out together once prepared on this connection (the
    // driver pipelines queries issued without waiting); they run in order.
    const [, locked] = await Promise.all([
      tx`
        insert into partition_totals (topic, partition, topic_id)
        select ${topic}, p, ${topicId} from unnest(${partitions}::int4[]) as p
        on conflict do nothing`,
      // Locked in partition order so two aggregators never deadlock on each other.
      tx<{ partition: number; next_offset: string }[]>`
        select partition, next_offset from partition_totals
        where topic = ${topic} and partition = any(${partitions}::int4[])
        order by partition
        for update`,
    ])
    const nextOffset = new Map(locked.map((row) => [row.partition, BigInt(row.next_offset)]))
    const fresh = records.filter((record) => record.offset >= (nextOffset.get(record.partition) ?? 0n))
    assertContiguous(fresh, nextOffset)
    const events = fresh.filter((record) => record.event !== null)

    const inserted =
      events.length === 0
        ? []
        : await tx<AppliedEventRow[]>`
        insert into applied_events (event_id, request_id, topic, partition, "offset", sum, accepted_at)
        select event_id, request_id, ${topic}, partition, "offset", sum, accepted_at from unnest(
          ${events.map((record) => record.event!.eventId)}::uuid[],
          ${events.map((record) => record.event!.requestId)}::uuid[],
          ${events.map((record) => record.partition)}::int4[],
          ${events.map((record) => record.offset.toString())}::int8[],
          ${events.map((record) => record.event!.sum)}::int8[],
          ${events.map((record) => record.event!.acceptedAt)}::timestamptz[]
        ) with ordinality as t(event_id, request_id, partition, "offset", sum, accepted_at, ord)
        order by ord
        on conflict do nothing
        returning seq, event_id, request_id, partition, "offset", sum, accepted_at, applied_at`
    if (inserted.length < events.length) {
      const conflicts = await findConflicts(tx, events)
      if (conflicts.length > 0) throw new ConflictsFound(conflicts)
    }
    // Only dead letters of records this transaction passes: a re-read stores nothing twice.
    const passed = new Set(fresh.map((record) => `${record.partition}/${record.offset}`))
    await storeDeadLetters(
      tx,
      topic,
      deadLetters.filter((letter) => passed.has(`${letter.partition}/${letter.offset}`)),
    )

    const perPartition = new Map<
      number,
      { delta: bigint; next: bigint; applied: number; seen: number; poison: number }
    >()
    for (const record of fresh) {
      const entry = perPartition.get(record.partition) ?? {
        delta: 0n,
        next: 0n,
        applied: 0,
        seen: 0,
        poison: 0,
      }
      if (record.offset + 1n > entry.next) entry.next = record.offset + 1n
      if (record.event === null) entry.poison++
      else entry.seen++
      perPartition.set(record.partition, entry)
    }
    let delta = 0n
    for (const row of inserted) {
      const entry = perPartition.get(row.partition)!
      entry.delta += BigInt(row.sum)
      entry.applied++
      delta += BigInt(row.sum)
    }
    const last: Array<Promise<unknown>> = []
    if (perPartition.size > 0) {
      const rows = [...perPartition.entries()]
      const update = tx`
        update partition_totals as t set
          subtotal = t.subtotal + d.delta,
          next_offset = d.next_offset,
          applied_count = t.applied_count + d.applied,
          duplicate_count = t.duplicate_count + d.duplicates,
          poison_count = t.poison_count + d.poison,
          updated_at = clock_timestamp()
        from unnest(
          ${rows.map(([partition]) => partition)}::int4[],
          ${rows.map(([, entry]) => entry.delta.toString())}::numeric[],
          ${rows.map(([, entry]) => entry.next.toString())}::int8[],
          ${rows.map(([, entry]) => entry.applied)}::int8[],
          ${rows.map(([, entry]) => entry.seen - entry.applied)}::int8[],
          ${rows.map(([, entry]) => entry.poison)}::int8[]
        ) as d(partition, delta, next_offset, applied, duplicates, poison)
        where t.topic = ${topic} and t.partition = d.partition`
      last.push(update.execute())
    }
    return {
      value: {
        applied: inserted.map(toAppliedEvent),
        duplicates: events.length - inserted.length,
        stale: records.length - fresh.length,
        poison: fresh.length - events.length,
        delta,
        conflicts: [],
      },
      last,
    }
  })
}

/**
 * Within one partition, offsets read in order are contiguous (no transactions
 * or compaction on this topic), so the first fresh record must sit exactly at
 * the stored next offset.
 */
function assertContiguous(fresh: ConsumedRecord[], nextOffset: Map<number, bigint>): void {
  const first = new Map<number, bigint>()
  for (const record of fresh) {
    const seen = first.get(record.partition)
    if (seen === undefined || record.offset < seen) first.set(record.partition, record.offset)
  }
  for (const [partition, offset] of first) {
    const expected = nextOffset.get(partition) ?? 0n
    if (offset !== expected) {
      throw new SummaError(
        ErrorCodes.DATA_LOSS,
        `partition ${partition}: next record is at offset ${offset} but ${expected} was expected; ` +
          'records in between were deleted before they were applied (retention) or the topic was re-created',
      )
    }
  }
}
