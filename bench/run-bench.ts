import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { loadNodeFlags } from '../src/cli/service-runtime.ts'
import { generateEventKey } from '../src/shared/event-keys.ts'
import { type BenchResults, type BenchRuns, runFiles, runJson } from './bench-results.ts'
import { type BenchSession, benchLog, benchRoot, openBenchSession } from './bench-session.ts'
import { type BenchSettings, benchBudgetMinutes, benchPorts, readBenchSettings } from './bench-settings.ts'
import { startBenchStack } from './bench-stack.ts'
import { measureEndToEnd } from './end-to-end.ts'
import { measureKafkaOutage } from './kafka-outage.ts'
import { loadRunner } from './load-runner.ts'
import { machineAtStart, machineFacts } from './machine-facts.ts'
import { staleAnalysis, writePerformanceDoc } from './performance-doc.ts'
import { idleCpuPerS, runRateSweep, warmUp } from './rate-sweep.ts'
import { targets } from './targets.ts'

/**
 * `make bench`: starts a PostgreSQL cluster, a Kafka broker and summa's three
 * services of its own, plus a bare grpc-js server (bench/bench-stack.ts), and
 * measures both with the same load client in the same run: increasing arrival
 * rates, each held for a fixed time; a step passes with Add p99 <= 50 ms and
 * no error (bench/rate-sweep.ts). Then summa at half its sustained rate with
 * end-to-end probes (bench/end-to-end.ts), then a Kafka outage under load and
 * the relay's drain rate (bench/kafka-outage.ts). It does all that BENCH_RUNS
 * times (3), each time on a stack started afresh, since one run's verdict can
 * turn on one step's p99. Keeps each run and the set in results/ (git-ignored)
 * and renders docs/PERFORMANCE.md from the set (bench/performance-doc.ts),
 * which reports every run's value of each target, not the best one.
 */
const env = process.env
const settings = readBenchSettings(env)
if (typeof settings === 'string') {
  console.error(`bench: ${settings}`)
  process.exit(2)
}

// Stops by itself within its budget whatever happens (bench/bench-session.ts).
const session = await openBenchSession('bench', benchBudgetMinutes(settings.runs))

await session.run(async () => {
  const set: BenchRuns = { runs: [] }
  for (let run = 1; run <= settings.runs; run++) {
    benchLog(`run ${run} of ${settings.runs}`)
    const scope = await session.scope(`run-${run}`)
    const results = await scope.run(() => bench(scope, settings))
    set.runs.push(results)
    // Each run and the set so far first: whatever happens to a later run or to the page, the
    // measurements are kept.
    for (const [file, json] of [
      [runFiles.raw(results), runJson(results)],
      [runFiles.rawSet(set), runJson(set)],
    ] as const) {
      await mkdir(path.dirname(path.join(benchRoot, file)), { recursive: true })
      await writeFile(path.join(benchRoot, file), json)
    }
    benchLog(
      `run ${run}: ${targets
        .map((target, index) => {
          const { value, met } = target.measure(results)
          return `${index + 1}. ${Number.isNaN(value) ? '?' : target.format(value)}${met ? '' : ' (not met)'}`
        })
        .join(', ')}; kept in ${runFiles.raw(results)}`,
    )
  }
  const files = await writePerformanceDoc(benchRoot, set)
  benchLog(`wrote ${[path.join(benchRoot, runFiles.rawSet(set)), ...files].join(', ')}`)
  const stale = await staleAnalysis(benchRoot, set)
  if (stale !== undefined) benchLog(stale)
})

/** One run, on a stack of its own that `session` stops when the run ends. */
async function bench(session: BenchSession, settings: BenchSettings): Promise<BenchResults> {
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
