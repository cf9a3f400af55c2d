import type { Sql } from 'postgres'
import { cpuSeconds } from './proc-stats.ts'

const services = ['calculator', 'relay', 'aggregator'] as const
export type Service = (typeof services)[number]

/** CPU seconds so far of each PostgreSQL backend serving a summa service, by pid. */
export type BackendCpu = Map<number, { service: Service; cpuS: number }>

/**
 * Reads the CPU of the backends serving summa's services, told apart by the
 * application_name each service sets. Two readings show which hop costs what
 * in the database, which the cluster's total cannot.
 */
export async function readBackendCpu(sql: Sql): Promise<BackendCpu> {
  const rows = await sql<{ pid: number; application_name: string }[]>`
    select pid, application_name from pg_stat_activity where application_name like 'summa-%'`
  const backends: BackendCpu = new Map()
  for (const row of rows) {
    const service = services.find((name) => row.application_name === `summa-${name}`)
    if (service !== undefined) backends.set(row.pid, { service, cpuS: cpuSeconds(row.pid) })
  }
  return backends
}

/**
 * Each service's CPU in the cluster between two readings, and `rest`: the
 * cluster's own processes (WAL writer, checkpointer, autovacuum), other
 * clients, and backends that closed in between (a pool dropping an idle
 * connection), whose last seconds no reading saw. A backend opened in between
 * counts from zero.
 */
export function splitByService(
  clusterS: number,
  before: BackendCpu,
  after: BackendCpu,
): Record<Service | 'rest', number> {
  const split: Record<Service, number> = { calculator: 0, relay: 0, aggregator: 0 }
  for (const [pid, { service, cpuS }] of after) split[service] += cpuS - (before.get(pid)?.cpuS ?? 0)
  const served = split.calculator + split.relay + split.aggregator
  const rounded = (seconds: number): number => Math.round(seconds * 1000) / 1000
  return {
    calculator: rounded(split.calculator),
    relay: rounded(split.relay),
    aggregator: rounded(split.aggregator),
    rest: rounded(Math.max(0, clusterS - served)),
  }
}
