import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { toAppliedEvent } from '../shared/audit/applied-event.ts'
import { appliedSince } from '../shared/audit/applied-since.ts'
import { toAuditLine } from '../shared/audit/audit-line.ts'
import type { Output } from '../shared/command-output.ts'
import type { Config } from '../shared/config.ts'
import { createSql, type Sql } from '../shared/db.ts'

/**
 * Writes the whole audit log from PostgreSQL: every applied event still
 * retained (SUMMA_IDEMPOTENCY_RETENTION_HOURS), once each, in `seq` order, in
 * the format of `audit.jsonl`. With several aggregators each one's file holds
 * what it applied plus what it caught up at start; their union repeats events.
 * The database holds each event exactly once (its primary key is the event
 * id), so this, not the files, is the complete log. Returns the lines written.
 */
export async function exportAuditLog(sql: Sql, out: Writable, pageSize = 1000): Promise<number> {
  let lastSeq = '0'
  let lines = 0
  for (;;) {
    const rows = await appliedSince(sql, lastSeq, pageSize)
    if (rows.length === 0) return lines
    const text = rows
      .map((row) => `${JSON.stringify(toAuditLine(row.topic, toAppliedEvent(row)))}\n`)
      .join('')
    if (!out.write(text)) await once(out, 'drain')
    lastSeq = rows.at(-1)!.seq
    lines += rows.length
  }
}

/** `summa audit export [--out FILE]`: to FILE, or to stdout. */
export async function auditExportCommand(
  config: Config,
  args: { out?: string },
  io: Output,
): Promise<number> {
  const sql = createSql({ url: config.DATABASE_URL, poolSize: 1, applicationName: 'summa-audit-export' })
  try {
    if (args.out === undefined) {
      await exportAuditLog(sql, process.stdout)
      return 0
    }
    const file = createWriteStream(args.out)
    const lines = await exportAuditLog(sql, file)
    file.end()
    await once(file, 'finish')
    io.err(`audit export: ${lines} events to ${args.out}`)
    return 0
  } finally {
    await sql.end({ timeout: 5 })
  }
}
