import type { BenchResults, Step } from './bench-results.ts'
import { comparedSteps } from './compared-steps.ts'

/** One figure of one run: the number a verdict turns on (NaN: the run could not measure it) and what it came from. */
export interface Measured {
  value: number
  /** The rates and counts behind the value, for the page's run-by-run table. */
  detail: string
}

/** A figure the page reports for every run, with its verdict when it is a target. */
export interface Figure {
  what: string
  format: (value: number) => string
  measure: (results: BenchResults) => Measured & { met?: boolean }
}

export interface Target extends Figure {
  measure: (results: BenchResults) => Measured & { met: boolean }
}

/** Numbers as the page writes them: thousands grouped, at most one decimal. */
export const number = (value: number): string =>
  new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(value)
const ms = (value: number): string => `${number(value)} ms`

/**
 * The targets, in the order the page numbers them, each judged on one run;
 * the page shows every run's value and meets a target only when every run does.
 */
export const targets: readonly Target[] = [
  {
    what: "sustained Add rate at p99 ≤ 50 ms, no errors: ≥ 60 % of the bare server's (same run)",
    format: (share) => `${Math.round(share * 100)} %`,
    measure: ({ sustained }) => {
      const share = sustained.bare > 0 ? sustained.summa / sustained.bare : NaN
      return {
        value: share,
        met: share >= 0.6,
        detail: `summa ${sustained.summa}/s, bare ${sustained.bare}/s`,
      }
    },
  },
  {
    what: "CPU per Add over every summa process (PostgreSQL and the broker included): ≤ 3× the bare server's per call, at the highest rate both kept up with",
    format: (ratio) => `${ratio.toFixed(1)}×`,
    measure: (results) => {
      const { commonRate, summaAtCommon: summa, bareAtCommon: bare } = comparedSteps(results)
      const ratio = summa && bare && bare.cpuMsPer1000 > 0 ? summa.cpuMsPer1000 / bare.cpuMsPer1000 : NaN
      const calculatorRatio = summa === undefined ? NaN : calculatorShare(summa) * ratio
      return {
        value: ratio,
        met: ratio <= 3,
        detail:
          `at ${commonRate}/s: ${summa?.cpuMsPer1000 ?? '?'} vs ${bare?.cpuMsPer1000 ?? '?'} µs` +
          (Number.isNaN(calculatorRatio)
            ? ''
            : `; the calculator and its PostgreSQL backends alone ${calculatorRatio.toFixed(1)}×`),
      }
    },
  },
  {
    what: 'end to end (Add acknowledged → visible in GET /total) p99 ≤ 25 ms at half the sustained rate',
    format: ms,
    measure: ({ endToEnd }) => {
      const { probes, failed, latency } = endToEnd.endToEnd
      const p99 = latency.count > 0 ? latency.p99Ms : NaN
      return {
        value: p99,
        met: failed === 0 && p99 <= 25,
        detail: `at ${endToEnd.rate}/s: p50 ${ms(latency.p50Ms)}, ${probes} probes${failed > 0 ? `, ${failed} failed` : ''}`,
      }
    },
  },
  {
    what: 'outage backlog drained at ≥ 50,000 events/s',
    format: (rate) => `${number(rate)}/s`,
    measure: ({ outage }) =>
      outage.drainSeconds === 0
        ? {
            value: NaN,
            met: false,
            detail: `not timed: the ${number(outage.backlogAtRestart)}-event backlog went out in the relay's first pass`,
          }
        : {
            value: outage.drainRatePerS,
            met: outage.drainRatePerS >= 50_000,
            detail: `${number(outage.published)} events in ${number(outage.drainSeconds)} s, after ${outage.outageS} s under ${outage.rate} Adds/s`,
          },
  },
  {
    what: 'each Node process ≤ 100 MB RSS (peak) at the sustained rate',
    format: (mb) => `${number(mb)} MB`,
    measure: (results) => {
      const { summaRate, summaStep } = comparedSteps(results)
      const memory = Object.entries(summaStep?.rssMb ?? {})
      const peak = memory.length === 0 ? NaN : Math.max(...memory.map(([, { peakRssMb }]) => peakRssMb))
      return {
        value: peak,
        met: peak <= 100,
        detail: `at ${summaRate}/s: ${memory.map(([name, { peakRssMb }]) => `${name} ${peakRssMb}`).join(', ')} MB`,
      }
    },
  },
]

/** Reported beside the targets, without a verdict. */
export const information: readonly Figure[] = [
  {
    what: 'GET /total p99 while the end-to-end load runs',
    format: ms,
    measure: ({ endToEnd: { total } }) => ({
      value: total.count > 0 ? total.p99Ms : NaN,
      detail: `over ${number(total.count)} requests`,
    }),
  },
  {
    what: 'event-loop lag p99 at the sustained rate, the highest of the three services',
    format: ms,
    measure: (results) => {
      const { summaRate, summaStep } = comparedSteps(results)
      const lags = Object.entries(summaStep?.eventLoopLagP99Ms ?? {})
      return {
        value: lags.length === 0 ? NaN : Math.max(...lags.map(([, lag]) => lag)),
        detail: `at ${summaRate}/s: ${lags.map(([name, lag]) => `${name} ${lag}`).join(', ')} ms`,
      }
    },
  },
]

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
