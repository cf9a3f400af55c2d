import type { Sql } from '../shared/db.ts'
import { auditIdCounts } from './audit-id-counts.ts'
import type { AppliedSide } from './compare.ts'
import { appliedSumsByRequest } from './db/applied-sums.ts'
import { committedRequests } from './db/committed-requests.ts'
import { subtotals } from './db/subtotals.ts'

/**
 * Reads what the aggregator applied for `topic`: every applied event by request
 * id, the subtotals and their event counts, which of `requestIds` the
 * calculator committed, and (for the audit files that exist) how often each
 * event id appears in the one file that repeats it most.
 */
export async function readAppliedSide(
  sql: Sql,
  topic: string,
  requestIds: string[],
  auditFiles: string[],
): Promise<AppliedSide> {
  const applied = await appliedSumsByRequest(sql, topic)
  const { total, appliedCount } = await subtotals(sql, topic)
  return {
    applied,
    committed: await committedRequests(sql, requestIds),
    total,
    appliedCount,
    auditCounts: await auditIdCounts(auditFiles, topic),
  }
}
