import type { Sql } from '../../shared/db.ts'

/** Which of `requestIds` the calculator committed (add_requests), asked 10,000 ids at a time. */
export async function committedRequests(sql: Sql, requestIds: string[]): Promise<Set<string>> {
  const committed = new Set<string>()
  for (let i = 0; i < requestIds.length; i += 10_000) {
    const chunk = requestIds.slice(i, i + 10_000)
    const found = await sql<{ request_id: string }[]>`
      select request_id from add_requests where request_id = any(${chunk}::uuid[])`
    for (const row of found) committed.add(row.request_id)
  }
  return committed
}
