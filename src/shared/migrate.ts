import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import type { Sql } from './db.ts'
import { type DatabaseTlsFiles, databaseConnection } from './tls/database-tls.ts'

export const migrationsDir = fileURLToPath(new URL('../../sql/migrations/', import.meta.url))

// Any constant works; it only has to be the same for every summa process so that
// two processes starting at once do not both apply migration N.
const migrationLockKey = 0x5_0_a_a

interface Migration {
  id: number
  name: string
  file: string
}

async function listMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => /^\d{6}_[a-z0-9_]+\.sql$/.test(file)).sort()
  return files.map((file) => ({ id: Number(file.slice(0, 6)), name: file.slice(7, -4), file }))
}

/**
 * Applies numbered migrations that have not run yet, each in its own
 * transaction, under an advisory lock. Returns the ids it applied.
 */
export async function migrate(sql: Sql, dir = migrationsDir): Promise<number[]> {
  const migrations = await listMigrations(dir)
  const applied: number[] = []
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${migrationLockKey})`
    await tx`create table if not exists summa_migrations (
      id integer primary key, name text not null, applied_at timestamptz not null default now())`
    const done = new Set((await tx<{ id: number }[]>`select id from summa_migrations`).map((row) => row.id))
    for (const migration of migrations) {
      if (done.has(migration.id)) continue
      const text = await readFile(path.join(dir, migration.file), 'utf8')
      await tx.unsafe(text)
      await tx`insert into summa_migrations (id, name) values (${migration.id}, ${migration.name})`
      applied.push(migration.id)
    }
  })
  return applied
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
