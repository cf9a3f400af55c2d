import path from 'node:path'
import postgres from 'postgres'
import { serviceNodeFlags } from '../src/cli/service-runtime.ts'
import { CalculatorClient } from '../src/shared/calculator-client.ts'
import { eventLoopResolutionMs } from '../src/shared/metrics.ts'
import { BenchProcess, httpOk, scrapeGauge, waitFor } from './bench-process.ts'
import {
  type BenchSession,
  benchLog,
  benchRoot,
  migrateBenchDatabase,
  startBenchKafka,
  summaCli,
} from './bench-session.ts'
import type { benchPorts } from './bench-settings.ts'
import { startPgCluster } from './pg-cluster.ts'
import { cpuSeconds, treeCpuSeconds } from './proc-stats.ts'

type Service = 'calculator' | 'relay' | 'aggregator'

/**
 * What `make bench` measures and how it reads it: a PostgreSQL cluster, a Kafka
 * broker and summa's three services of the bench's own, and the bare grpc-js
 * server beside them. Everything started is stopped by the session.
 */
export interface BenchStack {
  pgVersion: string
  /** One connection to the bench's database, for the bench's own queries. */
  sql: postgres.Sql
  grpc: { bare: string; summa: string }
  /** The aggregator's REST API (GET /total). */
  http: string
  bare: BenchProcess
  services: Record<Service, BenchProcess>
  /** CPU seconds used so far by each of summa's five processes. */
  summaCpu: () => Record<string, number>
  /** Resolves once every accepted Add has been applied: a step's cost includes relaying and applying it. */
  drained: () => Promise<void>
  /** Each service's event-loop lag p99 since the last call (reading resets the services' histograms). */
  lagP99Ms: () => Promise<Record<string, number>>
  /** Batches so far per hop: group commits, relay produces, aggregator transactions. */
  batchCounts: () => Promise<Record<string, number>>
  stopKafka: () => Promise<void>
  startKafka: () => Promise<void>
}

export interface StackOptions {
  ports: typeof benchPorts
  /** The environment the processes inherit. */
  env: NodeJS.ProcessEnv
  /** The key the calculator signs and the aggregator verifies events with. */
  eventSigningKey: string
  /** Where the services write V8 CPU profiles when they stop; none when undefined. */
  profileDir: string | undefined
}

export async function startBenchStack(session: BenchSession, options: StackOptions): Promise<BenchStack> {
  const { work, logs } = session
  const { ports, env } = options
  const pg = startPgCluster(path.join(work, 'pg'), ports.pg)
  session.defer(() => pg.stop())
  const admin = postgres(pg.url.replace(/\/summa$/, '/postgres'), { max: 1, onnotice: () => {} })
  const [{ server_version: pgVersion } = { server_version: '?' }] = await admin<
    { server_version: string }[]
  >`show server_version`
  await admin.end()

  const startKafka = (): Promise<BenchProcess> =>
    startBenchKafka(path.join(work, 'kafka'), ports.kafka, `${logs}/kafka.log`)
  let kafka = await startKafka()
  session.defer(() => kafka.stop(60_000))
  benchLog(`postgres ${pgVersion} on ${ports.pg}, kafka on ${ports.kafka}`)

  const summaEnv = {
    ...env,
    DATABASE_URL: pg.url,
    KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${ports.kafka}`,
    SUMMA_DATA_DIR: path.join(work, 'data'),
    SUMMA_GRPC_PORT: String(ports.grpc),
    SUMMA_HTTP_PORT: String(ports.http),
    SUMMA_CALCULATOR_HTTP_PORT: String(ports.calculatorHttp),
    SUMMA_RELAY_HTTP_PORT: String(ports.relayHttp),
    SUMMA_LOG_LEVEL: 'warn',
    // The calculator signs and the aggregator verifies every event, as in production.
    SUMMA_EVENT_SIGNING_KEY: options.eventSigningKey,
    ...(options.profileDir === undefined
      ? {}
      : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.profileDir}` }),
  }
  await migrateBenchDatabase(summaEnv, `${logs}/migrate.log`)
  // Started the way `summa up` starts them: the compiled build, with the services' V8 settings.
  const startService = (name: Service): BenchProcess =>
    new BenchProcess(
      name,
      process.execPath,
      [...serviceNodeFlags, summaCli, name],
      summaEnv,
      `${logs}/${name}.log`,
    )
  const services = {
    calculator: startService('calculator'),
    relay: startService('relay'),
    aggregator: startService('aggregator'),
  }
  session.defer(async () => {
    await services.calculator.stop()
    await Promise.all([services.relay.stop(), services.aggregator.stop()])
  })
  const metricsUrls = {
    calculator: `http://127.0.0.1:${ports.calculatorHttp}/metrics`,
    relay: `http://127.0.0.1:${ports.relayHttp}/metrics`,
    aggregator: `http://127.0.0.1:${ports.http}/metrics`,
  }
  for (const port of [ports.http, ports.calculatorHttp, ports.relayHttp])
    await waitFor(`service on ${port}`, 60_000, () => httpOk(`http://127.0.0.1:${port}/health`))
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  session.defer(() => sql.end())

  const bare = new BenchProcess(
    'bare',
    process.execPath,
    [path.join(benchRoot, 'bench/bare-server.ts'), String(ports.bare)],
    env,
    `${logs}/bare.log`,
  )
  session.defer(() => bare.stop())
  const grpc = { bare: `127.0.0.1:${ports.bare}`, summa: `127.0.0.1:${ports.grpc}` }
  await waitFor('bare server', 30_000, () => grpcAnswers(grpc.bare))

  const gauge = (url: string, name: string): Promise<number> =>
    scrapeGauge(url, name)
      .catch(() => 0)
      .then((value) => value ?? 0)
  return {
    pgVersion,
    sql,
    grpc,
    http: `http://127.0.0.1:${ports.http}`,
    bare,
    services,
    summaCpu: () => ({
      calculator: cpuSeconds(services.calculator.pid),
      relay: cpuSeconds(services.relay.pid),
      aggregator: cpuSeconds(services.aggregator.pid),
      postgres: treeCpuSeconds(pg.postmasterPid),
      kafka: cpuSeconds(kafka.pid),
    }),
    drained: () =>
      waitFor('pipeline drained', 120_000, async () => {
        const [row] = await sql<{ accepted: string; applied: string }[]>`
          select (select count(*) from add_requests) as accepted,
                 (select coalesce(sum(applied_count), 0) from partition_totals) as applied`
        return row !== undefined && BigInt(row.applied) >= BigInt(row.accepted)
      }),
    lagP99Ms: async () => {
      // The gauge includes the monitor's sampling interval (an idle loop reads ~10 ms): the lag is the rest.
      const lags: Record<string, number> = {}
      for (const [name, url] of Object.entries(metricsUrls)) {
        const gaugeMs = (await gauge(url, 'nodejs_eventloop_lag_p99_seconds')) * 1000
        lags[name] = Math.round(Math.max(0, gaugeMs - eventLoopResolutionMs) * 100) / 100
      }
      return lags
    },
    batchCounts: async () => ({
      groupCommits: await gauge(metricsUrls.calculator, 'summa_group_commit_rows_count'),
      relayBatches: await gauge(metricsUrls.relay, 'summa_relay_batch_events_count'),
      consumerBatches: await gauge(metricsUrls.aggregator, 'summa_consumer_batch_records_count'),
    }),
    stopKafka: () => kafka.stop(60_000),
    startKafka: async () => {
      kafka = await startKafka()
    },
  }
}

async function grpcAnswers(address: string): Promise<boolean> {
  const client = new CalculatorClient(address)
  try {
    await client.add({
      requestId: '00000000-0000-4000-8000-000000000000',
      num1: '1',
      num2: '2',
      deadlineMs: 1000,
    })
    return true
  } finally {
    client.close()
  }
}
