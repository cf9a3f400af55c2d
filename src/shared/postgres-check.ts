import type { Sql } from './db.ts'
import type { DependencyCheck } from './readiness.ts'

export function postgresCheck(sql: Sql): DependencyCheck {
  return {
    name: 'postgres',
    check: async () => {
      await sql`select 1`
    },
  }
}
