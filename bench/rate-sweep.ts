import { sleep } from '../src/shared/sleep.ts'
import type { BenchResults, Step } from './bench-results.ts'
import { benchLog } from './bench-session.ts'
import type { BenchSettings } from './bench-settings.ts'
import type { BenchStack } from './bench-stack.ts'
import type { RunLoad } from './load-runner.ts'
import { readBackendCpu, splitByService } from './postgres-cpu.ts'
import { cpuSeconds, memoryMb, reapedChildrenCpuSeconds } from './proc-stats.ts'
import { Sweep } from './sweep.ts'

type Target = Step['target']

/** CPU seconds per second each of summa's processes uses with nothing to do, over 5 s. */
export async function idleCpuPerS(stack: BenchStack): Promise<Record<string, number>> {
  const before = { cpu: stack.summaCpu(), at: performance.now() }
  await sleep(5000)
  const seconds = (performance.now() - before.at) / 1000
  return Object.fromEntries(
    Object.entries(stack.summaCpu()).map(([name, cpu]) => [
      name,
      Math.round(((cpu - before.cpu[name]!) / seconds) * 1000) / 1000,
    ]),
  )
}

/**
 * So that V8's and the broker JVM's JIT compilers are through the hot paths. The broker's CPU per
 * event keeps falling for minutes after its start; these 30 s take the steepest part.
 */
export async function warmUp(stack: BenchStack, settings: BenchSettings, runLoad: RunLoad): Promise<void> {
  const { rate, bareS, summaS } = settings.warmUp
  benchLog('warm-up')
  await runLoad(['--grpc', stack.grpc.bare, '--rate', String(rate), '--duration', `${bareS}s`], 'warmup-bare')
  await runLoad(
    ['--grpc', stack.grpc.summa, '--rate', String(rate), '--duration', `${summaS}s`],
    'warmup-summa',
  )
  await stack.drained()
}

/**
 * The bare server and summa at increasing arrival rates, each held `stepS`.
 * Interleaved, bare then summa at each rate, so that other load on the machine,
 * which comes and goes, weighs on both alike; the rules of each side's sweep
 * (attempts, when it stops, the rates it reports) are bench/sweep.ts.
 */
export async function runRateSweep(
  stack: BenchStack,
  settings: BenchSettings,
  runLoad: RunLoad,
): Promise<Pick<BenchResults, 'sustained' | 'capacity' | 'steps'>> {
  const steps: Step[] = []
  const sweeps = { bare: new Sweep(), summa: new Sweep() }
  for (const rate of settings.rates) {
    for (const target of ['bare', 'summa'] as const) {
      const sweep = sweeps[target]
      if (sweep.done) continue
      let step: Step | undefined
      let keptUp = false
      for (let attempt = 1; attempt <= sweep.attempts; attempt++) {
        step = await measureStep(stack, settings, runLoad, target, rate, attempt)
        benchLog(
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
  return {
    sustained: { bare: sweeps.bare.sustained, summa: sweeps.summa.sustained },
    capacity: { bare: sweeps.bare.capacity, summa: sweeps.summa.capacity },
    steps,
  }
}

/** One step: `rate` Adds/s against `target` for `stepS`, with what each process spent on it. */
async function measureStep(
  stack: BenchStack,
  settings: BenchSettings,
  runLoad: RunLoad,
  target: Target,
  rate: number,
  attempt: number,
): Promise<Step> {
  const summa = target === 'summa'
  const cpuNow = (): Record<string, number> =>
    summa ? stack.summaCpu() : { bare: cpuSeconds(stack.bare.pid) }
  const cpuBefore = cpuNow()
  if (summa) await stack.lagP99Ms() // resets the services' lag histograms
  const batchesBefore = summa ? await stack.batchCounts() : undefined
  const postgresBefore = summa ? await readBackendCpu(stack.sql) : undefined
  const clientBefore = reapedChildrenCpuSeconds()
  const report = await runLoad(
    [
      '--grpc',
      stack.grpc[target],
      '--rate',
      String(rate),
      '--duration',
      `${settings.stepS}s`,
      '--max-p99',
      String(settings.p99LimitMs),
      '--max-error-rate',
      '0',
    ],
    `${target}-${rate}`,
  )
  const clientCpuS = reapedChildrenCpuSeconds() - clientBefore
  const lag = summa ? await stack.lagP99Ms() : undefined
  // The step's cost includes relaying and applying what it accepted.
  if (summa) await stack.drained()
  const cpuAfter = cpuNow()
  const batchesAfter = batchesBefore === undefined ? undefined : await stack.batchCounts()
  const postgresAfter = postgresBefore === undefined ? undefined : await readBackendCpu(stack.sql)
  const cpuS = Object.fromEntries(
    Object.entries(cpuAfter).map(([name, after]) => [
      name,
      Math.round((after - cpuBefore[name]!) * 1000) / 1000,
    ]),
  )
  const add = report.byOperation.add!
  const serverCpuS = Object.values(cpuS).reduce((sum, value) => sum + value, 0)
  return {
    target,
    rate,
    attempt,
    throughputPerS: report.throughputPerS,
    requests: report.requests,
    errors: report.errors,
    errorsByCode: report.errorsByCode,
    latency: add.latency,
    passed: report.errors === 0 && add.latency.p99Ms <= settings.p99LimitMs,
    cpuS,
    cpuMsPer1000: report.ok === 0 ? 0 : Math.round((serverCpuS / report.ok) * 1e7) / 10,
    clientCpuMsPer1000: report.ok === 0 ? 0 : Math.round((clientCpuS / report.ok) * 1e7) / 10,
    ...(lag === undefined ? {} : { eventLoopLagP99Ms: lag }),
    ...(batchesBefore === undefined || batchesAfter === undefined
      ? {}
      : {
          // With the step's Add count, how well each hop batches.
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
    ...(summa
      ? {
          rssMb: Object.fromEntries(
            Object.entries(stack.services).map(([name, service]) => [name, memoryMb(service.pid)]),
          ),
        }
      : {}),
  }
}
