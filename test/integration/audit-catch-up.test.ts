import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { catchUpAuditLog } from '../../src/aggregator/audit-catch-up.ts'
import { AuditLog } from '../../src/aggregator/audit-log.ts'
import type { Sql } from '../../src/shared/db.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { defer } from '../helpers/cleanup.ts'
import { createTestDatabase } from '../helpers/database.ts'

const log = createLogger({ level: 'silent', service: 'test' })

async function applyEvents(sql: Sql, count: number): Promise<void> {
  await sql`
    insert into applied_events (event_id, request_id, topic, partition, "offset", sum, accepted_at)
    select gen_random_uuid(), gen_random_uuid(), 'sums', 0, n, n, now()
    from generate_series(1, ${count}) as n`
}

async function seqsIn(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8')
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line).seq)
}

describe('audit log catch-up', () => {
  it('appends every applied event after the last line, page after page, and resumes from there', async (t) => {
    const { sql } = await createTestDatabase(t)
    const dir = await mkdtemp(path.join(os.tmpdir(), 'summa-audit-'))
    defer(t, () => rm(dir, { recursive: true, force: true }))
    await applyEvents(sql, 250)

    const first = new AuditLog(dir)
    assert.equal(
      await catchUpAuditLog({ sql, auditLog: first, afterSeq: await first.open(), log, pageSize: 100 }),
      250,
    )
    await first.close()
    const expected = (count: number) => Array.from({ length: count }, (_, i) => String(i + 1))
    assert.deepEqual(await seqsIn(first.path), expected(250))

    // A restart with 7 more applied: only those are appended, after the last line.
    await applyEvents(sql, 7)
    const again = new AuditLog(dir)
    const afterSeq = await again.open()
    assert.equal(afterSeq, '250')
    assert.equal(await catchUpAuditLog({ sql, auditLog: again, afterSeq, log, pageSize: 100 }), 7)
    assert.equal(await catchUpAuditLog({ sql, auditLog: again, afterSeq: '257', log }), 0)
    await again.close()
    assert.deepEqual(await seqsIn(again.path), expected(257))
  })
})
