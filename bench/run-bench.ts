import { readdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import postgres from 'postgres'
import { CalculatorClient } from '../src/cli/calculator-client.ts'
import { loadNodeFlags, serviceNodeFlags } from '../src/cli/service-runtime.ts'
import type { LoadReport } from '../src/load/load-report.ts'
import { generateEventKey } from '../src/shared/event-keys.ts'
import { eventLoopResolutionMs } from '../src/shared/metrics.ts'
import { sleep } from '../src/shared/sleep.ts'
import { BenchProcess, httpOk, scrapeGauge, waitFor } from './bench-process.ts'
import {
  benchRoot,
  migrateBenchDatabase,
  openBenchSession,
  startBenchKafka,
  summaCli,
} from './bench-session.ts'
import { measureDrain } from './drain-rate.ts'
import { type BenchResults, type Step, writePerformanceDoc } from './performance-doc.ts'
import { startPgCluster } from './pg-cluster.ts'
import { readBackendCpu, splitByService } from './postgres-cpu.ts'
import {
  cpuSeconds,
  machineCpuSeconds,
  memoryMb,
  reapedChildrenCpuSeconds,
  treeCpuSeconds,
} from './proc-stats.ts'
import { Sweep } from './sweep.ts'

/**
 * `make bench`: starts a PostgreSQL cluster, a Kafka broker and summa's three
 * services of its own, plus a bare grpc-js server, and measures both with the
 * same load client in the same run: increasing arrival rates, each held for a
 * fixed time; a step passes with Add p99 <= 50 ms and no error. Then summa at
 * half its sustained rate with end-to-end probes, then a Kafka outage under
 * load and the relay's drain rate. Writes results/ and docs/PERFORMANCE.md.
 */
const root = benchRoot
const env = process.env
const stepS = Number(env.BENCH_STEP_S ?? 12)
const rates = (env.BENCH_RATES ?? '250,500,1000,1500,2000,2500,3000,4000,5000,6000,8000')
  .split(',')
  .map(Number)
const outageS = Number(env.BENCH_OUTAGE_S ?? 60)
// The sweep's verdicts assume each rate is higher than the one before (bench/sweep.ts).
const badSetting = checkSettings()
if (badSetting !== undefined) {
  console.error(`bench: ${badSetting}`)
  process.exit(2)
}
const p99LimitMs = 50
const warmUp = { rate: 1000, bareS: 8, summaS: 30 }
const ports = {
  pg: 19510,
  kafka: 19520,
  grpc: 19530,
  http: 19531,
  calculatorHttp: 19532,
  relayHttp: 19533,
  bare: 19540,
}

// Stops by itself within 15 minutes whatever happens (bench/bench-session.ts).
const session = await openBenchSession('bench', 15)
const { work, logs } = session

const log = (line: string): void => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`)

await session.run(async () => {
  const results = await bench()
  const files = await writePerformanceDoc(root, results)
  log(`wrote ${files.join(', ')}`)
})

async function bench(): Promise<BenchResults> {
  const startedAt = new Date().toISOString()
  const loadAverage = os.loadavg()
  const machineCpuAtStart = machineCpuSeconds()
  log(`work dir ${work}`)
  const pg = startPgCluster(path.join(work, 'pg'), ports.pg)
  session.defer(() => pg.stop())
  const admin = postgres(pg.url.replace(/\/summa$/, '/postgres'), { max: 1, onnotice: () => {} })
  const [{ server_version: pgVersion } = { server_version: '?' }] = await admin<
    { server_version: string }[]
  >`show server_version`
  await admin.end()

  const bootstrap = `127.0.0.1:${ports.kafka}`
  const startKafka = (): Promise<BenchProcess> =>
    startBenchKafka(path.join(work, 'kafka'), ports.kafka, `${logs}/kafka.log`)
  let kafka = await startKafka()
  session.defer(() => kafka.stop(60_000))
  log(`postgres ${pgVersion} on ${ports.pg}, kafka on ${ports.kafka}`)

  const summaEnv = {
    ...env,
    DATABASE_URL: pg.url,
    KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    SUMMA_DATA_DIR: path.join(work, 'data'),
    SUMMA_GRPC_PORT: String(ports.grpc),
    SUMMA_HTTP_PORT: String(ports.http),
    SUMMA_CALCULATOR_HTTP_PORT: String(ports.calculatorHttp),
    SUMMA_RELAY_HTTP_PORT: String(ports.relayHttp),
    SUMMA_LOG_LEVEL: 'warn',
    // The calculator signs and the aggregator verifies every event, as in production: a key per run.
    SUMMA_EVENT_SIGNING_KEY: env.SUMMA_EVENT_SIGNING_KEY ?? generateEventKey(),
    // BENCH_PROFILE=1: CPU profiles of the three services, written when they stop (bench/profile-summary.ts).
    ...(env.BENCH_PROFILE === '1'
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.join(logs, 'profiles')}` }
      : {}),
  }
  await migrateBenchDatabase(summaEnv, `${logs}/migrate.log`)
  // Started the way `summa up` starts them: the compiled build, with the services' V8 settings.
  const startService = (name: 'calculator' | 'relay' | 'aggregator'): BenchProcess =>
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
    [path.join(root, 'bench/bare-server.ts'), String(ports.bare)],
    env,
    `${logs}/bare.log`,
  )
  session.defer(() => bare.stop())
  await waitFor('bare server', 30_000, () => grpcAnswers(`127.0.0.1:${ports.bare}`))

  const summaCpu = (): Record<string, number> => ({
    calculator: cpuSeconds(services.calculator.pid),
    relay: cpuSeconds(services.relay.pid),
    aggregator: cpuSeconds(services.aggregator.pid),
    postgres: treeCpuSeconds(pg.postmasterPid),
    kafka: cpuSeconds(kafka.pid),
  })
  const drained = async (): Promise<void> => {
    // The step's cost includes relaying and applying what it accepted.
    await waitFor('pipeline drained', 120_000, async () => {
      const [row] = await sql<{ accepted: string; applied: string }[]>`
        select (select count(*) from add_requests) as accepted,
               (select coalesce(sum(applied_count), 0) from partition_totals) as applied`
      return row !== undefined && BigInt(row.applied) >= BigInt(row.accepted)
    })
  }
  // The gauge includes the monitor's sampling interval (an idle loop reads ~10 ms): the lag is the rest.
  const lagP99Ms = async (): Promise<Record<string, number>> => {
    const lags: Record<string, number> = {}
    for (const [name, url] of Object.entries(metricsUrls)) {
      const gaugeMs =
        ((await scrapeGauge(url, 'nodejs_eventloop_lag_p99_seconds').catch(() => 0)) ?? 0) * 1000
      lags[name] = Math.round(Math.max(0, gaugeMs - eventLoopResolutionMs) * 100) / 100
    }
    return lags
  }

  // Batches per hop: with the step's Add count, how well each hop batches.
  const batchCounts = async (): Promise<Record<string, number>> => ({
    groupCommits:
      (await scrapeGauge(metricsUrls.calculator, 'summa_group_commit_rows_count').catch(() => 0)) ?? 0,
    relayBatches:
      (await scrapeGauge(metricsUrls.relay, 'summa_relay_batch_events_count').catch(() => 0)) ?? 0,
    consumerBatches:
      (await scrapeGauge(metricsUrls.aggregator, 'summa_consumer_batch_records_count').catch(() => 0)) ?? 0,
  })

  const steps: Step[] = []
  // summa's idle cost, for the analysis: its processes with nothing to do.
  const idleBefore = { cpu: summaCpu(), at: performance.now() }
  await sleep(5000)
  const summaIdleCpuPerS = Object.fromEntries(
    Object.entries(summaCpu()).map(([name, cpu]) => [
      name,
      Math.round(((cpu - idleBefore.cpu[name]!) / ((performance.now() - idleBefore.at) / 1000)) * 1000) /
        1000,
    ]),
  )
  const grpcOf = (target: 'bare' | 'summa'): string =>
    `127.0.0.1:${target === 'bare' ? ports.bare : ports.grpc}`
  const measureStep = async (target: 'bare' | 'summa', rate: number, attempt: number): Promise<Step> => {
    const grpc = grpcOf(target)
    const cpuBefore = target === 'bare' ? { bare: cpuSeconds(bare.pid) } : summaCpu()
    if (target === 'summa') await lagP99Ms() // resets the services' lag histograms
    const batchesBefore = target === 'summa' ? await batchCounts() : undefined
    const postgresBefore = target === 'summa' ? await readBackendCpu(sql) : undefined
    const clientBefore = reapedChildrenCpuSeconds()
    const report = await runLoadChild(
      [
        '--grpc',
        grpc,
        '--rate',
        String(rate),
        '--duration',
        `${stepS}s`,
        '--max-p99',
        String(p99LimitMs),
        '--max-error-rate',
        '0',
      ],
      `${target}-${rate}`,
    )
    const clientCpuS = reapedChildrenCpuSeconds() - clientBefore
    const lag = target === 'summa' ? await lagP99Ms() : undefined
    if (target === 'summa') await drained()
    const cpuAfter = target === 'bare' ? { bare: cpuSeconds(bare.pid) } : summaCpu()
    const batchesAfter = batchesBefore === undefined ? undefined : await batchCounts()
    const postgresAfter = postgresBefore === undefined ? undefined : await readBackendCpu(sql)
    const cpuS = Object.fromEntries(
      Object.entries(cpuAfter).map(([name, after]) => [
        name,
        round((after - (cpuBefore as Record<string, number>)[name]!) * 1000) / 1000,
      ]),
    )
    const add = report.byOperation.add!
    const serverCpuS = Object.values(cpuS).reduce((sum, value) => sum + value, 0)
    const step: Step = {
      target,
      rate,
      attempt,
      throughputPerS: report.throughputPerS,
      requests: report.requests,
      errors: report.errors,
      errorsByCode: report.errorsByCode,
      latency: add.latency,
      passed: report.errors === 0 && add.latency.p99Ms <= p99LimitMs,
      cpuS,
      cpuMsPer1000: report.ok === 0 ? 0 : round((serverCpuS / report.ok) * 1e7) / 10,
      clientCpuMsPer1000: report.ok === 0 ? 0 : round((clientCpuS / report.ok) * 1e7) / 10,
      ...(lag === undefined ? {} : { eventLoopLagP99Ms: lag }),
      ...(batchesBefore === undefined || batchesAfter === undefined
        ? {}
        : {
            eventsPerBatch: Object.fromEntries(
              Object.entries(batchesAfter).map(([hop, after]) => {
                const batches = after - batchesBefore[hop]!
                return [hop, batches > 0 ? Math.round((report.ok / batches) * 10) / 10 : 0]
              }),
            ),
          }),
      ...(postgresBefore === undefined || postgresAfter === undefined
        ? {}
        : { postgresCpuS: splitByService(cpuS.postgres ?? 0, postgresBefore, postgresAfter) }),
      ...(target === 'summa'
        ? {
            rssMb: Object.fromEntries(
              Object.entries(services).map(([name, service]) => [name, memoryMb(service.pid)]),
            ),
          }
        : {}),
    }
    return step
  }

  // So that V8's and the broker JVM's JIT compilers are through the hot paths. The broker's CPU per
  // event keeps falling for minutes after its start; these 30 s take the steepest part.
  log('warm-up')
  await runLoadChild(
    ['--grpc', grpcOf('bare'), '--rate', String(warmUp.rate), '--duration', `${warmUp.bareS}s`],
    'warmup-bare',
  )
  await runLoadChild(
    ['--grpc', grpcOf('summa'), '--rate', String(warmUp.rate), '--duration', `${warmUp.summaS}s`],
    'warmup-summa',
  )
  await drained()

  // Interleaved, bare then summa at each rate, so that other load on the machine, which comes and
  // goes, weighs on both alike.
  const sweeps = { bare: new Sweep(), summa: new Sweep() }
  for (const rate of rates) {
    for (const target of ['bare', 'summa'] as const) {
      const sweep = sweeps[target]
      if (sweep.done) continue
      let step: Step | undefined
      let keptUp = false
      for (let attempt = 1; attempt <= sweep.attempts; attempt++) {
        step = await measureStep(target, rate, attempt)
        log(
          `${target} ${rate}/s: ${step.throughputPerS} ok/s p99 ${step.latency.p99Ms} ms errors ${step.errors} ` +
            `cpu ${step.cpuMsPer1000} ms/1000 ${step.passed ? 'PASS' : 'FAIL'}`,
        )
        steps.push(step)
        keptUp ||= step.throughputPerS >= 0.95 * rate && step.errors <= 0.01 * step.requests
        if (step.passed) break
      }
      if (step !== undefined) sweep.record(rate, step.passed, keptUp)
    }
    if (sweeps.bare.done && sweeps.summa.done) break
  }
  const sustained = { bare: sweeps.bare.sustained, summa: sweeps.summa.sustained }
  const capacity = { bare: sweeps.bare.capacity, summa: sweeps.summa.capacity }

  // End to end at half the sustained rate: probes measure Add answered → visible in GET /total.
  // With no passing step (a busy machine), half the sweep's lowest rate.
  const halfRate = Math.max(100, Math.round((sustained.summa || (rates[0] ?? 200)) / 2))
  log(`summa: end-to-end probes at ${halfRate}/s`)
  await lagP99Ms()
  const e2eReport = await runLoadChild(
    [
      '--grpc',
      `127.0.0.1:${ports.grpc}`,
      '--http',
      `http://127.0.0.1:${ports.http}`,
      '--rate',
      String(halfRate),
      '--duration',
      '20s',
      '--e2e-probe',
    ],
    'e2e',
  )
  const endToEnd = {
    rate: halfRate,
    add: e2eReport.byOperation.add!.latency,
    total: e2eReport.byOperation.total!.latency,
    endToEnd: e2eReport.endToEnd!,
    eventLoopLagP99Ms: await lagP99Ms(),
    errors: e2eReport.errors,
  }
  await drained()

  // Kafka outage under load: Adds keep flowing into the outbox, then the relay drains it.
  // At least 500/s, so that the backlog (30,000 events in 60 s) takes long enough
  // to drain to be timed, whatever the sustained rate was.
  const outageRate = Number(env.BENCH_OUTAGE_RATE ?? Math.max(500, halfRate))
  log(`summa: Kafka outage of ${outageS} s under ${outageRate}/s`)
  const outageLoad = runLoadChild(
    [
      '--grpc',
      `127.0.0.1:${ports.grpc}`,
      '--rate',
      String(outageRate),
      '--duration',
      `${outageS + 25}s`,
      '--deadline',
      '5000',
    ],
    'outage',
  )
  await sleep(5000)
  await kafka.stop(60_000)
  const stoppedAt = Date.now()
  log('kafka stopped')
  await sleep(Math.max(0, outageS * 1000 - (Date.now() - stoppedAt)))
  const [atRestart = { pending: '0', last_id: '0', now: new Date() }] = await sql<
    { pending: string; last_id: string; now: Date }[]
  >`
    select count(*) filter (where published_at is null) as pending,
           coalesce(max(id), 0)::text as last_id, clock_timestamp() as now
    from outbox`
  kafka = await startKafka()
  log(`kafka back after ${Math.round((Date.now() - stoppedAt) / 1000)} s; backlog ${atRestart.pending}`)
  const drain = await measureDrain(sql, atRestart.last_id, atRestart.now, 120_000)
  const outageReport = await outageLoad
  await drained()
  const outage = {
    rate: outageRate,
    outageS,
    backlogAtRestart: Number(atRestart.pending),
    firstPublishAfterRestartS:
      drain.firstPublishAt === null
        ? null
        : round((drain.firstPublishAt.getTime() - atRestart.now.getTime()) / 10) / 100,
    published: drain.published,
    drainSeconds: round(drain.seconds * 1000) / 1000,
    drainRatePerS: drain.ratePerS,
    addErrors: outageReport.errors,
    addLatency: outageReport.byOperation.add!.latency,
  }
  if (outage.drainSeconds === 0)
    log("drain: the backlog went out in the relay's first pass, too short to time; raise BENCH_OUTAGE_S")
  else log(`drain: ${outage.published} events in ${outage.drainSeconds} s = ${outage.drainRatePerS}/s`)

  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    command: 'make bench',
    settings: { stepS, rates, p99LimitMs, outageS, warmUp, loadNodeFlags },
    machine: {
      cores: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? '?',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      kernel: os.release(),
      node: process.version,
      postgres: pgVersion,
      kafka: kafkaVersion(),
      loadAverageAtStart: loadAverage.map((value) => round(value * 100) / 100),
      loadAverageAtEnd: os.loadavg().map((value) => round(value * 100) / 100),
      ...stolen(machineCpuAtStart, machineCpuSeconds()),
    },
    sustained,
    capacity,
    summaIdleCpuPerS,
    steps,
    endToEnd,
    outage,
  }
}

async function runLoadChild(args: string[], name: string): Promise<LoadReport> {
  const json = path.join(logs, `load-${name}.json`)
  const child = new BenchProcess(
    `load-${name}`,
    process.execPath,
    // With the V8 settings `bin/summa load` uses: the client's own pauses count in what it measures.
    [...loadNodeFlags, summaCli, 'load', ...args, '--quiet', '--json', json],
    env,
    `${logs}/load.log`,
  )
  const code = await child.exited
  if (code !== 0 && code !== 1) throw new Error(`summa load exited ${code}; see ${logs}/load.log`)
  return JSON.parse(await readFile(json, 'utf8')) as LoadReport
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

function kafkaVersion(): string {
  try {
    const jar = readdirSync(path.join(root, '.cache/kafka/lib')).find((name) =>
      /^kafka_2\.13-[\d.]+\.jar$/.test(name),
    )
    return jar?.replace(/^kafka_2\.13-/, '').replace(/\.jar$/, '') ?? '?'
  } catch {
    return readFileSync(path.join(root, 'kafka/pom.xml'), 'utf8').match(/<kafka.version>([^<]+)/)?.[1] ?? '?'
  }
}

/** CPU time the hypervisor took from this machine during the run, in seconds and as a share. */
function stolen(
  start: { total: number; steal: number },
  end: { total: number; steal: number },
): { stealSeconds: number; stealPercent: number } {
  const steal = end.steal - start.steal
  const total = end.total - start.total
  return {
    stealSeconds: round(steal * 10) / 10,
    stealPercent: total > 0 ? round((steal / total) * 1000) / 10 : 0,
  }
}

function checkSettings(): string | undefined {
  if (!rates.every((rate, i) => Number.isInteger(rate) && rate > 0 && (i === 0 || rate > rates[i - 1]!)))
    return `BENCH_RATES must be increasing positive integers, comma-separated (got "${env.BENCH_RATES}")`
  if (!(stepS > 0)) return `BENCH_STEP_S must be a positive number of seconds (got "${env.BENCH_STEP_S}")`
  if (!(outageS > 0))
    return `BENCH_OUTAGE_S must be a positive number of seconds (got "${env.BENCH_OUTAGE_S}")`
  return undefined
}

function round(value: number): number {
  return Math.round(value)
}
