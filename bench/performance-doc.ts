import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { LatencySummary } from '../src/load/latency-histogram.ts'
import { eventLoopResolutionMs } from '../src/shared/metrics.ts'
import { type BenchResults, runFiles, runJson, type Step } from './bench-results.ts'
import { renderChart } from './performance-chart.ts'

/** The hand-written parts appended to the generated page, in order. */
const handWritten = ['bench/what-limits-each-target.md', 'bench/running-the-bench.md']
const docFile = 'docs/PERFORMANCE.md'
const chartFile = 'docs/performance-chart.svg'

/** docs/PERFORMANCE.md and its chart for `results`, with the hand-written parts read from `root`. */
export async function renderPerformanceDoc(
  root: string,
  results: BenchResults,
): Promise<{ doc: string; chart: string }> {
  const parts = await Promise.all(
    handWritten.map(async (file) => {
      const fullPath = path.join(root, file)
      return existsSync(fullPath) ? await readFile(fullPath, 'utf8') : ''
    }),
  )
  const runLink = path.relative(path.dirname(docFile), runFiles.cited)
  return {
    doc: renderDoc(results, runLink, parts.filter((part) => part.trim() !== '').join('\n')),
    chart: renderChart(results.steps, results.settings.p99LimitMs),
  }
}

/** Writes the run the page cites, the chart and docs/PERFORMANCE.md; returns the files written. */
export async function writePerformanceDoc(root: string, results: BenchResults): Promise<string[]> {
  const { doc, chart } = await renderPerformanceDoc(root, results)
  const files = [runFiles.cited, chartFile, docFile].map((file) => path.join(root, file))
  const [runPath, chartPath, docPath] = files as [string, string, string]
  await writeFile(runPath, runJson(results))
  await writeFile(chartPath, chart)
  await writeFile(docPath, doc)
  return files
}

/** How long the run took, in whole minutes: the one duration the docs give for `make bench`. */
export function benchMinutes(results: BenchResults): number {
  return Math.round((Date.parse(results.finishedAt) - Date.parse(results.startedAt)) / 60_000)
}

/**
 * The analysis is written against one run, which its first line names ("the
 * run started <startedAt>"). Says so when `results` is another run: its
 * numbers must be checked against the new one before the two are committed.
 */
export async function staleAnalysis(root: string, results: BenchResults): Promise<string | undefined> {
  const file = handWritten[0]!
  const written = (await readFile(path.join(root, file), 'utf8')).match(/the run started (\S+)/)?.[1]
  if (written === results.startedAt) return undefined
  return (
    `${file} was written against the run started ${written ?? '(none named)'}, and this one started ` +
    `${results.startedAt}: check its numbers against this run, then name it in its first line`
  )
}

export function targetsOf(results: BenchResults) {
  const { sustained, steps, endToEnd, outage } = results
  const passedAt = (target: 'bare' | 'summa', rate: number): Step | undefined =>
    steps.find((step) => step.target === target && step.rate === rate && step.passed)
  const lastAt = (target: 'bare' | 'summa', rate: number): Step | undefined =>
    steps.findLast((step) => step.target === target && step.rate === rate)
  // With no passing step (a busy machine), the highest rate summa kept up with stands in.
  const summaRate = sustained.summa > 0 ? sustained.summa : results.capacity.summa
  const summaStep = passedAt('summa', summaRate) ?? lastAt('summa', summaRate)
  // CPU per call compared at one rate, so both pay the same fixed overheads per second: the
  // highest rate both kept up with (a step that passed preferred).
  const keptUp = (step: Step): boolean => step.throughputPerS >= 0.95 * step.rate
  const commonRate = Math.max(
    0,
    ...steps
      .filter((step) => step.target === 'bare' && keptUp(step))
      .map((step) => step.rate)
      .filter((rate) => steps.some((step) => step.target === 'summa' && step.rate === rate && keptUp(step))),
  )
  const atCommon = (target: 'bare' | 'summa'): Step | undefined =>
    passedAt(target, commonRate) ?? lastAt(target, commonRate)
  const cpuSumma = atCommon('summa')
  const bareStep = atCommon('bare')
  const cpuRatio =
    cpuSumma && bareStep && bareStep.cpuMsPer1000 > 0 ? cpuSumma.cpuMsPer1000 / bareStep.cpuMsPer1000 : NaN
  const calculatorRatio = cpuSumma === undefined ? NaN : calculatorShare(cpuSumma) * cpuRatio
  const peakRss = Math.max(...Object.values(summaStep?.rssMb ?? {}).map((memory) => memory.peakRssMb), 0)
  const maxLag = Math.max(...Object.values(summaStep?.eventLoopLagP99Ms ?? {}), 0)
  const rateShare = sustained.bare > 0 ? sustained.summa / sustained.bare : 0
  return [
    {
      target: "summa's sustained Add rate ≥ 60 % of the bare server's",
      measured: `${sustained.summa}/s vs ${sustained.bare}/s = ${(rateShare * 100).toFixed(0)} %`,
      met: rateShare >= 0.6,
    },
    {
      target: "CPU per Add, all summa processes ≤ 3× the bare server's per call",
      measured:
        `at ${commonRate}/s: ${cpuSumma?.cpuMsPer1000 ?? '?'} vs ${bareStep?.cpuMsPer1000 ?? '?'} CPU-ms per 1,000 = ${cpuRatio.toFixed(1)}×` +
        (Number.isNaN(calculatorRatio)
          ? ''
          : `; the calculator and its PostgreSQL backends alone ${calculatorRatio.toFixed(1)}×`),
      met: cpuRatio <= 3,
    },
    {
      target: `end-to-end p99 ≤ 100 ms at half the sustained rate (${endToEnd.rate}/s)`,
      measured: `p99 ${endToEnd.endToEnd.latency.p99Ms} ms (p50 ${endToEnd.endToEnd.latency.p50Ms} ms, ${endToEnd.endToEnd.probes} probes)`,
      met:
        endToEnd.endToEnd.failed === 0 &&
        endToEnd.endToEnd.latency.count > 0 &&
        endToEnd.endToEnd.latency.p99Ms <= 100,
    },
    {
      target: 'GET /total p99 ≤ 10 ms while the Add load runs',
      measured: `p99 ${endToEnd.total.p99Ms} ms over ${endToEnd.total.count} requests`,
      met: endToEnd.total.count > 0 && endToEnd.total.p99Ms <= 10,
    },
    {
      target: `relay drains the backlog of a ${outage.outageS} s Kafka outage at ≥ 20,000 events/s`,
      measured:
        outage.drainSeconds === 0
          ? `not timed: the ${outage.backlogAtRestart}-event backlog went out in the relay's first pass`
          : `${outage.drainRatePerS}/s (${outage.published} events in ${outage.drainSeconds} s)`,
      met: outage.drainRatePerS >= 20_000,
    },
    {
      target: 'each Node process ≤ 150 MB RSS, event-loop lag p99 ≤ 20 ms at the sustained rate',
      measured: `at ${summaRate}/s: peak RSS ${peakRss} MB, lag p99 ${maxLag} ms`,
      met: summaStep !== undefined && peakRss <= 150 && maxLag <= 20,
    },
  ]
}

function renderDoc(results: BenchResults, runLink: string, sections: string): string {
  const { machine, settings, steps, endToEnd, outage } = results
  const warmUp = settings.warmUp ?? { rate: 500, bareS: 8, summaS: 20 }
  const lines: string[] = [
    '# Performance',
    '',
    '<!-- Generated by `make bench` (bench/run-bench.ts) from docs/performance-run.json; the sections',
    '     after the tables come from bench/what-limits-each-target.md and bench/running-the-bench.md.',
    '     Edit those, then `node bench/write-doc.ts docs/performance-run.json`; not this file. -->',
    '',
    `Reproduce: \`make bench\` (about ${benchMinutes(results)} minutes; stops by itself; [how](#running-the-bench)). ` +
      `Raw results of this run: [${path.basename(runLink)}](${runLink}).`,
    '',
    '## The machine and the run',
    '',
    '| fact | value |',
    '|---|---|',
    `| run | ${results.startedAt} → ${results.finishedAt} |`,
    `| CPU | ${machine.cores} cores, ${machine.cpuModel} |`,
    `| memory | ${machine.memoryGb} GB |`,
    `| kernel | ${machine.kernel} |`,
    `| Node.js | ${machine.node} |`,
    `| PostgreSQL | ${machine.postgres} (the bench's own cluster, synchronous_commit=on, fsync=on) |`,
    `| Kafka | ${machine.kafka} (one broker, the bench's own; producer acks=all, idempotent) |`,
    `| load average at start / end | ${(machine.loadAverageAtStart as number[]).join(' ')} / ${(machine.loadAverageAtEnd as number[]).join(' ')} |`,
    ...(machine.stealSeconds === undefined
      ? []
      : [
          `| CPU time taken by the hypervisor (steal) during the run | ${machine.stealSeconds} s, ${machine.stealPercent} % of the cores' time |`,
        ]),
    '',
    'Everything runs on this one machine: the load client, the bare server, the three summa services,',
    'PostgreSQL and the Kafka broker share its cores. The load average above shows how much else ran, the steal how much CPU the virtual machine’s host withheld.',
    '',
    `Method: open model (arrivals at a fixed rate, latency from each request's scheduled send time), ` +
      `each rate held ${settings.stepS} s after a warm-up at ${warmUp.rate}/s (${warmUp.bareS} s bare, ${warmUp.summaS} s summa); a step passes with Add p99 ≤ ${settings.p99LimitMs} ms ` +
      'and no error (a failed step is tried once more), and the sustained rate is the highest one that passed with every lower rate passed too; ' +
      `the sweep goes on while the target keeps up with the offered rate. Event-loop lag is Node’s p99 gauge minus its ${eventLoopResolutionMs} ms sampling interval. CPU is utime+stime from /proc for ` +
      'every process involved; for summa it is counted until the step’s events were applied, and PostgreSQL’s ' +
      'is the whole cluster (postmaster and all backends). The load client’s CPU is reported separately' +
      (settings.loadNodeFlags === undefined || settings.loadNodeFlags.length === 0
        ? '.'
        : `; it runs with \`${settings.loadNodeFlags.join(' ')}\`, so that its own collections stay short (they count in every latency it measures).`),
    '',
    '## Results',
    '',
    '| target | what | measured | met |',
    '|---|---|---|---|',
    ...targetsOf(results).map(
      (row, index) => `| ${index + 1} | ${row.target} | ${row.measured} | ${row.met ? 'yes' : '**no**'} |`,
    ),
    '',
    `Highest rate each kept up with (≥ 95 % answered, < 1 % errors), whatever its p99: bare ` +
      `${results.capacity.bare}/s, summa ${results.capacity.summa}/s.`,
    '',
    '![Add p99 vs arrival rate](performance-chart.svg)',
    '',
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
  return `${lines.join('\n')}${sections === '' ? '' : `\n${sections.trim()}\n`}`
}

/**
 * The part of a summa step's CPU that answering Adds took: the calculator and
 * the PostgreSQL backends serving it, without the pipeline behind the outbox.
 * NaN when the step did not record PostgreSQL's split.
 */
function calculatorShare(step: Step): number {
  const total = Object.values(step.cpuS).reduce((sum, value) => sum + value, 0)
  const postgres = step.postgresCpuS?.calculator
  if (postgres === undefined || total <= 0) return NaN
  return ((step.cpuS.calculator ?? 0) + postgres) / total
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
