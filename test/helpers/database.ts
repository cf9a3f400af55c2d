import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import postgres from 'postgres'
import { createSql, type Sql } from '../../src/shared/db.ts'
import { defer } from './cleanup.ts'
import { requireEnv, testEnv } from './test-env.ts'

export interface TestDatabase {
  url: string
  sql: Sql
}

/**
 * A fresh database for one test (or file), copied from the migrated template
 * the global setup made: a copy takes milliseconds, migrations run once per run.
 * Dropped when the test ends.
 */
export async function createTestDatabase(t: Pick<TestContext, 'after'>): Promise<TestDatabase> {
  return testDatabase(t, { template: requireEnv(testEnv.templateDatabase), poolSize: 4 })
}

/** An empty database (no schema) for one test, for what `summa migrate` does to one. Dropped when the test ends. */
export async function createEmptyTestDatabase(t: Pick<TestContext, 'after'>): Promise<TestDatabase> {
  return testDatabase(t, { poolSize: 1 })
}

async function testDatabase(
  t: Pick<TestContext, 'after'>,
  { template, poolSize }: { template?: string; poolSize: number },
): Promise<TestDatabase> {
  const adminUrl = requireEnv(testEnv.adminDatabaseUrl)
  const name = `summa_t_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}${template === undefined ? '' : ` template ${template}`}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const sql = createSql({ url: url.toString(), poolSize, applicationName: 'summa-test' })
  defer(t, async () => {
    await sql.end({ timeout: 5 })
    const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} })
    await cleanup.unsafe(`drop database if exists ${name} with (force)`)
    await cleanup.end()
  })
  return { url: url.toString(), sql }
}
