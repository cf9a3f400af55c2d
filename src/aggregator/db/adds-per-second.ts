import type { Sql } from '../../shared/db.ts'

/**
 * Adds accepted per second over the last `seconds` (add_requests_accepted_at
 * index), counted from the database so it covers every calculator replica.
 */
export async function addsPerSecond(sql: Sql, seconds: number): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from add_requests
    where accepted_at > clock_timestamp() - make_interval(secs => ${seconds})`
  return (row?.n ?? 0) / seconds
}
