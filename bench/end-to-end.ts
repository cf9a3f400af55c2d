import type { BenchResults } from './bench-results.ts'
import { benchLog } from './bench-session.ts'
import type { BenchStack } from './bench-stack.ts'
import type { RunLoad } from './load-runner.ts'

/**
 * summa at half its sustained rate with end-to-end probes: Add answered →
 * visible in GET /total, and GET /total's own latency while the Adds run.
 * With no passing step (a busy machine), half the sweep's lowest rate.
 */
export async function measureEndToEnd(
  stack: BenchStack,
  sustainedRate: number,
  lowestRate: number | undefined,
  runLoad: RunLoad,
): Promise<BenchResults['endToEnd']> {
  const rate = Math.max(100, Math.round((sustainedRate || (lowestRate ?? 200)) / 2))
  benchLog(`summa: end-to-end probes at ${rate}/s`)
  await stack.lagP99Ms() // resets the services' lag histograms
  const report = await runLoad(
    [
      '--grpc',
      stack.grpc.summa,
      '--http',
      stack.http,
      '--rate',
      String(rate),
      '--duration',
      '20s',
      '--e2e-probe',
    ],
    'e2e',
  )
  const endToEnd = {
    rate,
    add: report.byOperation.add!.latency,
    total: report.byOperation.total!.latency,
    endToEnd: report.endToEnd!,
    eventLoopLagP99Ms: await stack.lagP99Ms(),
    errors: report.errors,
  }
  await stack.drained()
  return endToEnd
}
