import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { createSql, type Sql } from '../../src/shared/db.ts'
import { ErrorCodes, SummaError } from '../../src/shared/errors.ts'
import { migrate, migrationsDir } from '../../src/shared/migrate.ts'
import { defer } from '../helpers/cleanup.ts'
import { createEmptyTestDatabase } from '../helpers/database.ts'

// What `summa migrate` does to a database, on a real PostgreSQL: each test gets an empty
// database of its own (not the migrated template the other tests copy).

const released = [1, 2, 3, 4, 5]

/** The file number of the n-th migration after the released ones. */
function next(n: number): string {
  return String(released.length + n).padStart(6, '0')
}

/** A copy of sql/migrations the test may add to or edit. */
async function migrationsCopy(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'summa-migrations-'))
  await cp(migrationsDir, dir, { recursive: true })
  defer(t, () => rm(dir, { recursive: true, force: true }))
  return dir
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
}

async function recorded(sql: Sql) {
  return sql<{ id: number; name: string; checksum: string | null; applied_at: Date }[]>`
    select id, name, checksum, applied_at from summa_migrations order by id`
}

async function tableExists(sql: Sql, name: string): Promise<boolean> {
  const [row] = await sql<{ found: string | null }[]>`select to_regclass(${name})::text as found`
  return row?.found !== null && row?.found !== undefined
}

describe('migrate', () => {
  it('applies every migration to an empty database, recording each with its checksum', async (t) => {
    const { sql } = await createEmptyTestDatabase(t)
    assert.deepEqual(await migrate(sql), released)
    const rows = await recorded(sql)
    assert.deepEqual(
      rows.map((row) => row.id),
      released,
    )
    for (const row of rows) {
      const file = path.join(migrationsDir, `${String(row.id).padStart(6, '0')}_${row.name}.sql`)
      assert.equal(row.checksum, await sha256(file), file)
    }
    assert.ok(await tableExists(sql, 'outbox'))
  })

  it('does nothing when run again', async (t) => {
    const { sql } = await createEmptyTestDatabase(t)
    await migrate(sql)
    const before = await recorded(sql)
    assert.deepEqual(await migrate(sql), [])
    assert.deepEqual(await recorded(sql), before)
  })

  it('refuses a migration changed after it was applied, before applying anything', async (t) => {
    const { sql } = await createEmptyTestDatabase(t)
    const dir = await migrationsCopy(t)
    await migrate(sql, dir)
    await appendFile(path.join(dir, '000002_totals_notify.sql'), '\n-- an edit\n')
    await writeFile(path.join(dir, `${next(1)}_later.sql`), 'create table later (id int);\n')
    await assert.rejects(migrate(sql, dir), (error: unknown) => {
      assert.ok(error instanceof SummaError)
      assert.equal(error.code, ErrorCodes.FAILED_PRECONDITION)
      assert.match(error.message, /^migration 000002_totals_notify\.sql was changed after it was applied/)
      return true
    })
    assert.equal(await tableExists(sql, 'later'), false)
    assert.deepEqual(
      (await recorded(sql)).map((row) => row.id),
      released,
    )
  })

  it('carries a table recorded before checksums forward: adds the column and fills it', async (t) => {
    const { sql } = await createEmptyTestDatabase(t)
    await migrate(sql)
    // The table as releases before checksums made it.
    await sql`alter table summa_migrations drop column checksum`
    assert.deepEqual(await migrate(sql), [])
    const rows = await recorded(sql)
    assert.equal(rows.length, released.length)
    for (const row of rows) {
      const file = path.join(migrationsDir, `${String(row.id).padStart(6, '0')}_${row.name}.sql`)
      assert.equal(row.checksum, await sha256(file), file)
    }
  })

  it('keeps the migrations before a failing one applied, and applies the rest once it is fixed', async (t) => {
    const { sql } = await createEmptyTestDatabase(t)
    const dir = await migrationsCopy(t)
    await writeFile(path.join(dir, `${next(1)}_good.sql`), 'create table good (id int);\n')
    const bad = path.join(dir, `${next(2)}_bad.sql`)
    await writeFile(bad, 'create table half (id int);\nselect 1/0;\n')
    await assert.rejects(migrate(sql, dir), /division by zero/)
    assert.deepEqual(
      (await recorded(sql)).map((row) => row.id),
      [...released, released.length + 1],
    )
    assert.ok(await tableExists(sql, 'good'))
    assert.equal(await tableExists(sql, 'half'), false, 'the failing migration rolled back whole')
    await writeFile(bad, 'create table half (id int);\n')
    assert.deepEqual(await migrate(sql, dir), [released.length + 2])
    assert.ok(await tableExists(sql, 'half'))
  })

  it('applies each migration once when two processes migrate at the same time', async (t) => {
    const { url, sql } = await createEmptyTestDatabase(t)
    const other = createSql({ url, poolSize: 1, applicationName: 'summa-test-migrate-2' })
    defer(t, () => other.end({ timeout: 5 }))
    const [first, second] = await Promise.all([migrate(sql), migrate(other)])
    assert.deepEqual([...first, ...second].sort(), released)
    assert.equal((await recorded(sql)).length, released.length)
  })
})
