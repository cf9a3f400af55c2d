import type { Sql } from '../shared/db.ts'
import { type LedgerEntry, readLedger } from '../shared/ledger.ts'
import { sleep } from '../shared/sleep.ts'
import { compare, foldLedger, type VerifyReport } from './compare.ts'
import { readAppliedSide } from './read-applied.ts'

export interface VerifyOptions {
  sql: Sql
  topic: string
  ledgerFile: string
  /** audit.jsonl to check for repeated event ids; skipped when undefined or missing. */
  auditFile?: string | undefined
  /**
   * Several audit logs (one per aggregator, or an export): an event id repeated
   * within one file is a duplicate; the same id in two files is not (each
   * aggregator's file also holds what it caught up from the database).
   */
  auditFiles?: string[]
  /**
   * Keep re-reading the applied side for up to this long while requests are
   * still in flight through outbox, relay and Kafka; 0 checks once.
   */
  settleMs: number
  signal?: AbortSignal
}

/**
 * `summa verify`: reads the ledger once, then compares it with what the
 * aggregator applied until the comparison passes or `settleMs` runs out, and
 * returns the last report (report.ok says whether it passed).
 */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const entries: LedgerEntry[] = []
  for await (const entry of readLedger(options.ledgerFile)) entries.push(entry)
  const ledger = foldLedger(entries)
  const ids = [...ledger.requests.keys()]
  const deadline = Date.now() + options.settleMs
  const auditFiles = [
    ...(options.auditFile === undefined ? [] : [options.auditFile]),
    ...(options.auditFiles ?? []),
  ]
  for (;;) {
    const side = await readAppliedSide(options.sql, options.topic, ids, auditFiles)
    const report = compare(ledger, side)
    if (report.ok || Date.now() >= deadline || options.signal?.aborted) return report
    await sleep(250, options.signal)
  }
}
