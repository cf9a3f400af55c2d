import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { loadNodeFlags } from '../src/cli/service-runtime.ts'
import type { LoadReport } from '../src/load/load-report.ts'
import { BenchProcess, httpOk, waitFor } from './bench-process.ts'
import {
  benchLog,
  benchRoot,
  migrateBenchDatabase,
  openBenchSession,
  startBenchKafka,
  summaCli,
} from './bench-session.ts'
import { startPgCluster } from './pg-cluster.ts'
import { cpuSeconds, treeCpuSeconds } from './proc-stats.ts'

/**
 * `make bench-scale`: the same open-model load against 1 and then 2 replicas
 * of every service (`summa up --replicas N`), on one machine, one PostgreSQL
 * cluster and one broker of the bench's own. For each rate: what was served,
 * Add and end-to-end latency, and CPU milliseconds per Add, split into summa's
 * processes, PostgreSQL and Kafka. Writes results/bench-scale.{json,md}.
 * On one 2-core machine more replicas cannot be faster: the table shows what
 * they cost.
 */
const env = process.env
const base = Number(env.BENCH_SCALE_PORT ?? 19600)
const stepS = Number(env.BENCH_STEP_S ?? 12)
const rates = (env.BENCH_SCALE_RATES ?? '500,1000,1500').split(',').map(Number)
const replicaCounts = (env.BENCH_SCALE_REPLICAS ?? '1,2').split(',').map(Number)
const ports = {
  pg: base,
  kafka: base + 10,
  grpc: base + 20,
  http: base + 21,
  calculatorHttp: base + 22,
  relayHttp: base + 23,
}

interface Row {
  replicas: number
  rate: number
  servedPerS: number
  errors: number
  addP50Ms: number
  addP99Ms: number
  e2eP99Ms: number | null
  summaCpuMsPerAdd: number
  postgresCpuMsPerAdd: number
  kafkaCpuMsPerAdd: number
}

const session = await openBenchSession('bench-scale', 20)
const log = benchLog

await session.run(async () => {
  const { work, logs } = session
  const pg = startPgCluster(path.join(work, 'pg'), ports.pg)
  session.defer(() => pg.stop())
  const kafka = await startBenchKafka(
    path.join(work, 'kafka'),
    ports.kafka,
    path.join(logs, 'scale-kafka.log'),
  )
  session.defer(() => kafka.stop(30_000))
  const rows: Row[] = []
  for (const replicas of replicaCounts) {
    const summaEnv = {
      ...env,
      DATABASE_URL: pg.url,
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${ports.kafka}`,
      SUMMA_TOPIC: `bench-scale-${replicas}`,
      SUMMA_CONSUMER_GROUP: `bench-scale-${replicas}`,
      SUMMA_DATA_DIR: path.join(work, `data-${replicas}`),
      SUMMA_GRPC_PORT: String(ports.grpc),
      SUMMA_HTTP_PORT: String(ports.http),
      SUMMA_CALCULATOR_HTTP_PORT: String(ports.calculatorHttp),
      SUMMA_RELAY_HTTP_PORT: String(ports.relayHttp),
      SUMMA_LOG_LEVEL: 'warn',
    }
    await migrateBenchDatabase(summaEnv, path.join(logs, 'scale-migrate.log'))
    const up = new BenchProcess(
      `up-${replicas}`,
      process.execPath,
      [summaCli, 'up', '--replicas', String(replicas)],
      summaEnv,
      path.join(logs, `scale-up-${replicas}.log`),
    )
    try {
      const health = [ports.http, ports.calculatorHttp, ports.relayHttp].flatMap((port) =>
        Array.from({ length: replicas }, (_, n) => `http://127.0.0.1:${port + 100 * n}/health`),
      )
      for (const url of health) await waitFor(url, 120_000, () => httpOk(url))
      const grpc = Array.from({ length: replicas }, (_, n) => `127.0.0.1:${ports.grpc + 100 * n}`).join(',')
      for (const rate of rates) {
        const before = {
          summa: treeCpuSeconds(up.pid),
          pg: treeCpuSeconds(pg.postmasterPid),
          kafka: cpuSeconds(kafka.pid),
        }
        const report = await runLoad(logs, summaEnv, `${replicas}-${rate}`, [
          '--rate',
          String(rate),
          '--duration',
          `${stepS}s`,
          '--grpc',
          grpc,
          '--http',
          `http://127.0.0.1:${ports.http}`,
          '--e2e-probe',
        ])
        const ok = Math.max(1, report.ok)
        const ms = (seconds: number): number => Number(((1000 * seconds) / ok).toFixed(3))
        const row: Row = {
          replicas,
          rate,
          servedPerS: Math.round(report.throughputPerS),
          errors: report.errors,
          addP50Ms: report.latency.p50Ms,
          addP99Ms: report.latency.p99Ms,
          e2eP99Ms: report.endToEnd?.latency.p99Ms ?? null,
          summaCpuMsPerAdd: ms(treeCpuSeconds(up.pid) - before.summa),
          postgresCpuMsPerAdd: ms(treeCpuSeconds(pg.postmasterPid) - before.pg),
          kafkaCpuMsPerAdd: ms(cpuSeconds(kafka.pid) - before.kafka),
        }
        rows.push(row)
        log(JSON.stringify(row))
      }
    } finally {
      await up.stop(60_000)
    }
  }
  const results = path.join(benchRoot, 'results')
  await mkdir(results, { recursive: true })
  const machine = `${os.cpus().length} cores, load average at the end ${os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`
  await writeFile(
    path.join(results, 'bench-scale.json'),
    `${JSON.stringify({ machine, stepS, rows }, null, 2)}\n`,
  )
  const md = table(rows, machine)
  await writeFile(path.join(results, 'bench-scale.md'), md)
  console.log(`\n${md}`)
})

async function runLoad(
  logs: string,
  summaEnv: NodeJS.ProcessEnv,
  name: string,
  args: string[],
): Promise<LoadReport> {
  const json = path.join(logs, `scale-load-${name}.json`)
  const child = new BenchProcess(
    `load-${name}`,
    process.execPath,
    [...loadNodeFlags, summaCli, 'load', ...args, '--quiet', '--json', json],
    summaEnv,
    path.join(logs, 'scale-load.log'),
  )
  const code = await child.exited
  if (code !== 0 && code !== 1) throw new Error(`summa load exited ${code}; see ${logs}/scale-load.log`)
  return JSON.parse(await readFile(json, 'utf8')) as LoadReport
}

function table(rows: Row[], machine: string): string {
  return (
    `Measured by \`make bench-scale\` (${machine}; ${stepS} s per step).\n\n` +
    '| replicas of each | offered Adds/s | served Adds/s | errors | Add p50 | Add p99 | end-to-end p99 | CPU ms per Add: summa | PostgreSQL | Kafka |\n' +
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n' +
    rows
      .map(
        (row) =>
          `| ${row.replicas} | ${row.rate} | ${row.servedPerS} | ${row.errors} | ${row.addP50Ms.toFixed(1)} ms | ${row.addP99Ms.toFixed(1)} ms | ${row.e2eP99Ms === null ? 'n/a' : `${row.e2eP99Ms.toFixed(0)} ms`} | ${row.summaCpuMsPerAdd} | ${row.postgresCpuMsPerAdd} | ${row.kafkaCpuMsPerAdd} |`,
      )
      .join('\n') +
    '\n'
  )
}
