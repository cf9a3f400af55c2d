import path from 'node:path'
import type { Output } from '../shared/command-output.ts'
import type { Config } from '../shared/config.ts'
import { createSql } from '../shared/db.ts'
import { databaseTlsOf } from '../shared/tls/database-tls.ts'
import { verify } from './verify.ts'

/**
 * `summa verify --ledger FILE [--audit FILE]… [--settle-ms N]`: prints the
 * report as JSON and exits 1 on any anomaly (lost, duplicated, phantom, or a
 * total that is not the sum of what must be applied).
 */
export async function verifyCommand(
  config: Config,
  args: { ledger: string; audit?: string[]; settleMs: number },
  io: Output,
): Promise<number> {
  const sql = createSql({
    url: config.DATABASE_URL,
    poolSize: 2,
    applicationName: 'summa-verify',
    tls: databaseTlsOf(config),
  })
  try {
    const report = await verify({
      sql,
      topic: config.SUMMA_TOPIC,
      ledgerFile: args.ledger,
      auditFiles: args.audit ?? [path.join(config.SUMMA_DATA_DIR, 'audit.jsonl')],
      settleMs: args.settleMs,
    })
    io.out(JSON.stringify(report, null, 2))
    if (!report.ok) io.err('verify: anomalies found')
    return report.ok ? 0 : 1
  } finally {
    await sql.end({ timeout: 5 })
  }
}
