import { toAppliedEvent } from '../shared/audit/applied-event.ts'
import { appliedSince } from '../shared/audit/applied-since.ts'
import { toAuditLine } from '../shared/audit/audit-line.ts'
import type { Sql } from '../shared/db.ts'
import type { Logger } from '../shared/logger.ts'
import type { AuditLog } from './audit-log.ts'

export interface AuditCatchUpOptions {
  sql: Sql
  auditLog: AuditLog
  /** The seq of the log's last complete line, as AuditLog.open() returned it. */
  afterSeq: string
  log: Logger
  /**
   * Rows per read. Small enough that a page dies young: with 10,000, a new data
   * directory against a database of a million applied events left the
   * aggregator at 175-180 MB resident after catching up; with 1,000 at 122 MB,
   * in the same 5.4 s.
   */
  pageSize?: number
  /** Told the seq of the last line appended after every page: where a retry after a failure resumes. */
  onAppended?: (seq: string) => void
}

/**
 * Appends to the audit log what the database applied after `afterSeq`: after a
 * crash, a few batches; with a new data directory, everything. Progress is
 * logged at most once a second, and once at the end. Returns the lines added.
 */
export async function catchUpAuditLog(options: AuditCatchUpOptions): Promise<number> {
  const { sql, auditLog, log, pageSize = 1000 } = options
  const startedAt = Date.now()
  let loggedAt = startedAt
  let lastSeq = options.afterSeq
  let lines = 0
  for (;;) {
    const rows = await appliedSince(sql, lastSeq, pageSize)
    if (rows.length === 0) break
    await auditLog.append(rows.map((row) => toAuditLine(row.topic, toAppliedEvent(row))))
    lastSeq = rows.at(-1)!.seq
    options.onAppended?.(lastSeq)
    lines += rows.length
    if (Date.now() - loggedAt >= 1000) {
      loggedAt = Date.now()
      log.info({ lines, lastSeq }, 'catching the audit log up from the database')
    }
  }
  if (lines > 0)
    log.info({ lines, lastSeq, ms: Date.now() - startedAt }, 'audit log caught up from the database')
  return lines
}
