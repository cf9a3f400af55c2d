import type { Output } from '../shared/command-output.ts'
import type { Config } from '../shared/config.ts'
import { createSql } from '../shared/db.ts'
import { databaseTlsOf } from '../shared/tls/database-tls.ts'
import { requireAdminKey } from './credentials.ts'

/**
 * `summa reset --yes`: deletes every request, event, applied event, total and
 * stored dead letter in the database. For development, together with deleting the broker's data:
 * the aggregator refuses offsets that belong to a topic that no longer exists.
 */
export async function resetCommand(
  config: Config,
  io: Output,
  confirmed: boolean,
  apiKey?: string,
): Promise<number> {
  if (!confirmed) {
    io.err("summa reset deletes all of summa's data in the database; run it as `summa reset --yes`")
    return 2
  }
  requireAdminKey(config, apiKey, 'summa reset')
  const sql = createSql({
    url: config.DATABASE_URL,
    poolSize: 1,
    applicationName: 'summa-reset',
    tls: databaseTlsOf(config),
  })
  try {
    await sql`truncate add_requests, outbox, applied_events, partition_totals, dead_letters`
    io.out(`reset: ${new URL(config.DATABASE_URL).pathname.slice(1)} holds no requests, events or totals`)
    return 0
  } finally {
    await sql.end()
  }
}
