import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { defer } from '../helpers/cleanup.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { spawnSumma } from '../helpers/processes.ts'

describe('summa audit export', () => {
  it('writes every applied event once, in seq order, across pages; verify takes several audit files', async (t) => {
    const db = await createTestDatabase(t)
    const dir = await mkdtemp(path.join(os.tmpdir(), 'summa-audit-export-'))
    defer(t, () => rm(dir, { recursive: true, force: true }))
    // 2,500 events: three pages of the export's 1,000.
    await db.sql`
      insert into applied_events (event_id, request_id, topic, partition, "offset", sum, accepted_at)
      select gen_random_uuid(), gen_random_uuid(), 'sums', n % 6, n, n, now()
      from generate_series(1, 2500) as n`
    const out = path.join(dir, 'export.jsonl')
    const env = { DATABASE_URL: db.url, SUMMA_TOPIC: 'sums', SUMMA_LOG_LEVEL: 'warn' }
    const exported = spawnSumma(t, ['audit', 'export', '--out', out], env)
    assert.equal((await exported.exited).code, 0, exported.output())
    const lines = (await readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: string; eventId: string; topic: string })
    assert.equal(lines.length, 2500)
    assert.equal(new Set(lines.map((line) => line.eventId)).size, 2500)
    assert.ok(lines.every((line, i) => i === 0 || BigInt(line.seq) > BigInt(lines[i - 1]!.seq)))

    // Two aggregators' files that share events (catch-up) are not duplicates; a file
    // that repeats an event within itself is. (The ledger is empty, so verify reports
    // these events as phantom and exits 1: only `duplicated` is checked here.)
    const ledger = path.join(dir, 'ledger.jsonl')
    await writeFile(ledger, '')
    const first = path.join(dir, 'a.jsonl')
    const second = path.join(dir, 'b.jsonl')
    const text = (slice: typeof lines) => slice.map((line) => `${JSON.stringify(line)}\n`).join('')
    await writeFile(first, text(lines.slice(0, 1500)))
    await writeFile(second, text(lines.slice(1000)))
    const ok = spawnSumma(t, ['verify', '--ledger', ledger, '--audit', first, '--audit', second], env)
    await ok.exited
    const report = JSON.parse(/\{[\s\S]*\}/.exec(ok.output())![0]) as { duplicated: number }
    assert.equal(report.duplicated, 0, ok.output())
    await writeFile(second, text([...lines.slice(1000), lines[2000]!]))
    const bad = spawnSumma(t, ['verify', '--ledger', ledger, '--audit', first, '--audit', second], env)
    await bad.exited
    const badReport = JSON.parse(/\{[\s\S]*\}/.exec(bad.output())![0]) as { duplicated: number }
    assert.equal(badReport.duplicated, 1, bad.output())
  })
})
