import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import type { Sql } from './db.ts'
import { ErrorCodes, SummaError } from './errors.ts'
import { type DatabaseTlsFiles, databaseConnection } from './tls/database-tls.ts'

export const migrationsDir = fileURLToPath(new URL('../../sql/migrations/', import.meta.url))

// Any constant works; it only has to be the same for every summa process so that
// two processes starting at once do not both apply migration N.
const migrationLockKey = 0x5_0_a_a

interface Migration {
  id: number
  name: string
  file: string
  text: string
  /** sha256 of the file's bytes, hex: recorded when applied, compared on every later run. */
  checksum: string
}

async function listMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => /^\d{6}_[a-z0-9_]+\.sql$/.test(file)).sort()
  return Promise.all(
    files.map(async (file) => {
      const bytes = await readFile(path.join(dir, file))
      return {
        id: Number(file.slice(0, 6)),
        name: file.slice(7, -4),
        file,
        text: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      }
    }),
  )
}

/**
 * Applies the numbered migrations that have not run yet, in order, each in its
 * own transaction, which also records it (id, name, checksum): a migration is
 * either applied and recorded or neither, and one that fails leaves the earlier
 * ones applied. Every transaction starts by taking one transaction-scoped
 * advisory lock and reads what is recorded under it, so two processes starting
 * at once never apply the same migration. Transaction-scoped, not a session lock
 * held across them: behind a pooler in transaction mode (PgBouncer), the
 * statements of one session may run on different server connections, and a
 * session lock would stay behind on whichever took it.
 *
 * A migration already applied whose file has changed since is refused
 * (FAILED_PRECONDITION) before anything is applied: released migrations are
 * append-only, and the database would otherwise silently differ from what a
 * fresh one gets. Tables recorded before checksums existed get the column, and
 * their applied migrations the checksums of today's files. Returns the ids applied.
 */
export async function migrate(sql: Sql, dir = migrationsDir): Promise<number[]> {
  const migrations = await listMigrations(dir)
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${migrationLockKey})`
    await tx`create table if not exists summa_migrations (
      id integer primary key, name text not null, applied_at timestamptz not null default now(),
      checksum text)`
    // Recorded before checksums existed: trust today's files for what was applied then.
    await tx`alter table summa_migrations add column if not exists checksum text`
    for (const migration of migrations) {
      await tx`update summa_migrations set checksum = ${migration.checksum}
        where id = ${migration.id} and checksum is null`
    }
    const recorded = await tx<
      { id: number; checksum: string | null }[]
    >`select id, checksum from summa_migrations`
    refuseChanged(migrations, new Map(recorded.map((row) => [row.id, row.checksum])))
  })
  const applied: number[] = []
  for (const migration of migrations) {
    const ran = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${migrationLockKey})`
      const [done] = await tx`select 1 from summa_migrations where id = ${migration.id}`
      if (done !== undefined) return false
      await tx.unsafe(migration.text)
      await tx`insert into summa_migrations (id, name, checksum)
        values (${migration.id}, ${migration.name}, ${migration.checksum})`
      return true
    })
    if (ran) applied.push(migration.id)
  }
  return applied
}

function refuseChanged(migrations: Migration[], checksums: Map<number, string | null>): void {
  for (const migration of migrations) {
    const applied = checksums.get(migration.id)
    if (applied !== undefined && applied !== null && applied !== migration.checksum) {
      throw new SummaError(
        ErrorCodes.FAILED_PRECONDITION,
        `migration ${migration.file} was changed after it was applied (sha256 ${applied.slice(0, 12)}… when applied, ${migration.checksum.slice(0, 12)}… now): restore it and put the change in a new migration`,
      )
    }
  }
}

/**
 * Creates the database named in `url` when it does not exist yet, connecting to
 * the server's `postgres` database to do so. Lets `make up` work on a server
 * that has never seen summa.
 */
export async function ensureDatabase(url: string, tls?: DatabaseTlsFiles): Promise<boolean> {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  if (!name) return false
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const connection = databaseConnection(admin.toString(), tls)
  const sql = postgres(connection.url, {
    ssl: connection.ssl,
    max: 1,
    onnotice: () => {},
    connect_timeout: 5,
  })
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`
    if (rows.length > 0) return false
    try {
      await sql.unsafe(`create database "${name.replaceAll('"', '""')}"`)
    } catch (error) {
      // Two processes may race to create it; losing that race is fine.
      if ((error as { code?: string }).code !== '42P04') throw error
    }
    return true
  } finally {
    await sql.end()
  }
}
