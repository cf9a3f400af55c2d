import type { LatencySummary } from '../src/load/latency-histogram.ts'
import type { BenchResults } from './bench-results.ts'

/**
 * One run in full, as docs/PERFORMANCE.md shows the run it picks: every step,
 * where summa's CPU went, the end-to-end probes and the Kafka outage.
 */
export function runTables(results: BenchResults): string[] {
  const { steps, endToEnd, outage } = results
  return [
    '## Steps',
    '',
    '| target | rate/s | ok/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | server CPU-ms per 1,000 | client CPU-ms per 1,000 | pass |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...steps.map(
      (step) =>
        `| ${step.target} | ${step.rate} | ${step.throughputPerS} | ${step.latency.p50Ms} | ${step.latency.p90Ms} | ` +
        `${step.latency.p99Ms} | ${step.latency.p999Ms} | ${step.latency.maxMs} | ${step.errors}${formatCodes(step.errorsByCode)} | ` +
        `${step.cpuMsPer1000} | ${step.clientCpuMsPer1000} | ${step.passed ? 'yes' : 'no'} |`,
    ),
    '',
    '### Where summa’s CPU goes (CPU seconds per step)',
    '',
    `Idle, summa’s processes use (CPU seconds per second): ${Object.entries(results.summaIdleCpuPerS)
      .map(([name, value]) => `${name} ${value}`)
      .join(', ')}; that is included below.`,
    '',
    '| rate/s | calculator | relay | aggregator | postgres (for calc / relay / agg / rest) | kafka | event-loop lag p99 ms (calc / relay / agg) | peak RSS MB (calc / relay / agg) | events per batch (commit / produce / apply) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...steps
      .filter((step) => step.target === 'summa')
      .map((step) => {
        const cpu = step.cpuS
        const lag = step.eventLoopLagP99Ms ?? {}
        const rss = step.rssMb ?? {}
        return (
          `| ${step.rate} | ${cpu.calculator} | ${cpu.relay} | ${cpu.aggregator} | ${cpu.postgres}${formatSplit(step.postgresCpuS)} | ${cpu.kafka} | ` +
          `${lag.calculator} / ${lag.relay} / ${lag.aggregator} | ${rss.calculator?.peakRssMb} / ${rss.relay?.peakRssMb} / ${rss.aggregator?.peakRssMb} | ` +
          `${step.eventsPerBatch?.groupCommits} / ${step.eventsPerBatch?.relayBatches} / ${step.eventsPerBatch?.consumerBatches} |`
        )
      }),
    '',
    `## End to end at ${endToEnd.rate}/s (half the sustained rate, or of the lowest rate when none passed)`,
    '',
    'Probe Adds (one at a time) add 1 while the load’s Adds use multiples of 10^9, so the total modulo 10^9',
    'shows when a probe became visible in `GET /total`, polled every 5 ms; those polls are the GET /total',
    'latencies below, measured while the Add load ran.',
    '',
    '| what | count | p50 ms | p90 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|',
    latencyRow('Add', endToEnd.add),
    latencyRow('GET /total', endToEnd.total),
    latencyRow('Add answered → visible in GET /total', endToEnd.endToEnd.latency),
    '',
    `Errors: ${endToEnd.errors}; failed probes: ${endToEnd.endToEnd.failed}. Event-loop lag p99 (ms): ` +
      Object.entries(endToEnd.eventLoopLagP99Ms)
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', '),
    '',
    `## Kafka outage of ${outage.outageS} s under ${outage.rate} Adds/s`,
    '',
    '| what | value |',
    '|---|---|',
    `| backlog in the outbox when the broker came back | ${outage.backlogAtRestart} events |`,
    `| first publish after the broker process was restarted | ${outage.firstPublishAfterRestartS ?? '?'} s |`,
    `| drained (events published after the relay's first pass, up to the backlog's last) | ${outage.published} events in ${outage.drainSeconds} s = **${outage.drainRatePerS} events/s** |`,
    `| Add errors during the whole run (outage included) | ${outage.addErrors} |`,
    `| Add p99 during the run | ${outage.addLatency.p99Ms} ms |`,
    '',
  ]
}

function latencyRow(name: string, latency: LatencySummary): string {
  return `| ${name} | ${latency.count} | ${latency.p50Ms} | ${latency.p90Ms} | ${latency.p99Ms} | ${latency.maxMs} |`
}

function formatSplit(split: Record<string, number> | undefined): string {
  if (split === undefined) return ''
  return ` (${[split.calculator, split.relay, split.aggregator, split.rest].map((value) => value ?? '?').join(' / ')})`
}

function formatCodes(codes: Record<string, number>): string {
  const entries = Object.entries(codes)
  return entries.length === 0 ? '' : ` (${entries.map(([code, n]) => `${code} ${n}`).join(', ')})`
}
