import { createReadStream } from 'node:fs'
import { access } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { Sql } from '../shared/db.ts'
import type { AppliedSide } from './compare.ts'

/**
 * Reads what the aggregator applied for `topic`: every applied_events row (by
 * request id: each accepted request has one event, so two rows for one request
 * id mean it was applied twice), the
 * subtotals and their event counts, which of `requestIds` the calculator
 * committed, and (for the audit files that exist) how often each event id
 * appears in the one file that repeats it most.
 */
export async function readAppliedSide(
  sql: Sql,
  topic: string,
  requestIds: string[],
  auditFiles: string[],
): Promise<AppliedSide> {
  const applied = new Map<string, bigint[]>()
  const rows = await sql<{ request_id: string; sum: string }[]>`
    select request_id, sum from applied_events where topic = ${topic}`
  for (const row of rows) {
    const sums = applied.get(row.request_id) ?? []
    sums.push(BigInt(row.sum))
    applied.set(row.request_id, sums)
  }
  const [totals] = await sql<{ total: string; applied: string }[]>`
    select coalesce(sum(subtotal), 0)::text as total, coalesce(sum(applied_count), 0)::text as applied
    from partition_totals where topic = ${topic}`
  const committed = new Set<string>()
  for (let i = 0; i < requestIds.length; i += 10_000) {
    const chunk = requestIds.slice(i, i + 10_000)
    const found = await sql<{ request_id: string }[]>`
      select request_id from add_requests where request_id = any(${chunk}::uuid[])`
    for (const row of found) committed.add(row.request_id)
  }
  return {
    applied,
    committed,
    total: BigInt(totals?.total ?? '0'),
    appliedCount: BigInt(totals?.applied ?? '0'),
    auditCounts: await mostPerFile(auditFiles, topic),
  }
}

async function mostPerFile(files: string[], topic: string): Promise<Map<string, number> | undefined> {
  let most: Map<string, number> | undefined
  for (const file of files) {
    const counts = await countAuditIds(file, topic)
    if (counts === undefined) continue
    most ??= new Map()
    for (const [id, count] of counts) most.set(id, Math.max(count, most.get(id) ?? 0))
  }
  return most
}

async function countAuditIds(file: string, topic: string): Promise<Map<string, number> | undefined> {
  try {
    await access(file)
  } catch {
    return undefined
  }
  const counts = new Map<string, number>()
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  for await (const line of lines) {
    if (line.trim() === '') continue
    let parsed: { eventId?: unknown; topic?: unknown }
    try {
      parsed = JSON.parse(line) as typeof parsed
    } catch {
      continue // a torn last line: the aggregator cuts it at its next start
    }
    if (typeof parsed.eventId !== 'string' || parsed.topic !== topic) continue
    counts.set(parsed.eventId, (counts.get(parsed.eventId) ?? 0) + 1)
  }
  return counts
}
