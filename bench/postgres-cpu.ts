import type { Sql } from 'postgres'
import { cpuSeconds } from './proc-stats.ts'

const services = ['calculator', 'relay', 'aggregator'] as const

/**
 * CPU seconds used so far by the PostgreSQL backends serving each summa service,
 * told apart by the application_name each one sets. The difference of two
 * readings shows which hop costs what in the database, which the cluster's
 * total cannot. A backend that exits between two readings drops out of its
 * service's count (the cluster's total keeps it).
 */
export async function postgresCpuByService(sql: Sql): Promise<Record<(typeof services)[number], number>> {
  const rows = await sql<{ pid: number; application_name: string }[]>`
    select pid, application_name from pg_stat_activity where application_name like 'summa-%'`
  const split = { calculator: 0, relay: 0, aggregator: 0 }
  for (const row of rows) {
    const service = services.find((name) => row.application_name === `summa-${name}`)
    if (service !== undefined) split[service] += cpuSeconds(row.pid)
  }
  return split
}
