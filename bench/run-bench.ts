import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { loadNodeFlags } from '../src/cli/service-runtime.ts'
import { generateEventKey } from '../src/shared/event-keys.ts'
import { type BenchResults, runFiles, runJson } from './bench-results.ts'
import { benchLog, benchRoot, openBenchSession } from './bench-session.ts'
import { type BenchSettings, benchPorts, readBenchSettings } from './bench-settings.ts'
import { startBenchStack } from './bench-stack.ts'
import { measureEndToEnd } from './end-to-end.ts'
import { measureKafkaOutage } from './kafka-outage.ts'
import { loadRunner } from './load-runner.ts'
import { machineAtStart, machineFacts } from './machine-facts.ts'
import { staleAnalysis, writePerformanceDoc } from './performance-doc.ts'
import { idleCpuPerS, runRateSweep, warmUp } from './rate-sweep.ts'

/**
 * `make bench`: starts a PostgreSQL cluster, a Kafka broker and summa's three
 * services of its own, plus a bare grpc-js server (bench/bench-stack.ts), and
 * measures both with the same load client in the same run: increasing arrival
 * rates, each held for a fixed time; a step passes with Add p99 <= 50 ms and
 * no error (bench/rate-sweep.ts). Then summa at half its sustained rate with
 * end-to-end probes (bench/end-to-end.ts), then a Kafka outage under load and
 * the relay's drain rate (bench/kafka-outage.ts). Keeps the run in results/
 * (git-ignored) and renders docs/PERFORMANCE.md from it (bench/performance-doc.ts).
 */
const env = process.env
const settings = readBenchSettings(env)
if (typeof settings === 'string') {
  console.error(`bench: ${settings}`)
  process.exit(2)
}

// Stops by itself within 15 minutes whatever happens (bench/bench-session.ts).
const session = await openBenchSession('bench', 15)

await session.run(async () => {
  const results = await bench(settings)
  // The raw run first: whatever happens to the page, the measurements are kept.
  const raw = path.join(benchRoot, runFiles.raw(results))
  await mkdir(path.dirname(raw), { recursive: true })
  await writeFile(raw, runJson(results))
  const files = await writePerformanceDoc(benchRoot, results)
  benchLog(`wrote ${[raw, ...files].join(', ')}`)
  const stale = await staleAnalysis(benchRoot, results)
  if (stale !== undefined) benchLog(stale)
})

async function bench(settings: BenchSettings): Promise<BenchResults> {
  const startedAt = new Date().toISOString()
  const machine = machineAtStart()
  benchLog(`work dir ${session.work}`)
  const stack = await startBenchStack(session, {
    ports: benchPorts,
    env,
    // A key per run, unless one is given.
    eventSigningKey: env.SUMMA_EVENT_SIGNING_KEY ?? generateEventKey(),
    // Written when the services stop (bench/profile-summary.ts lists the hottest frames).
    profileDir: settings.profile ? path.join(session.logs, 'profiles') : undefined,
  })
  const runLoad = loadRunner(session.logs, env)

  // summa's idle cost, for the analysis: its processes with nothing to do.
  const summaIdleCpuPerS = await idleCpuPerS(stack)
  await warmUp(stack, settings, runLoad)
  const { sustained, capacity, steps } = await runRateSweep(stack, settings, runLoad)
  const endToEnd = await measureEndToEnd(stack, sustained.summa, settings.rates[0], runLoad)
  // At least 500/s, so that the backlog (30,000 events in 60 s) takes long enough to drain to be
  // timed, whatever the sustained rate was.
  const outageRate = settings.outageRate ?? Math.max(500, endToEnd.rate)
  const outage = await measureKafkaOutage(stack, outageRate, settings.outageS, runLoad)

  const { stepS, rates, p99LimitMs, outageS, warmUp: warmUpSettings } = settings
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    command: 'make bench',
    settings: { stepS, rates, p99LimitMs, outageS, warmUp: warmUpSettings, loadNodeFlags },
    machine: machineFacts(machine, stack.pgVersion),
    sustained,
    capacity,
    summaIdleCpuPerS,
    steps,
    endToEnd,
    outage,
  }
}
