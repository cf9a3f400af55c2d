import type { BenchResults, Step } from './bench-results.ts'
import { answered, comparedSteps } from './compared-steps.ts'
import { median } from './spread.ts'

/** The rows of "What each Add costs", in order; bench/cost-changes.md has a line for each. */
export const costComponents = [
  'calculator',
  "calculator's PostgreSQL backends",
  'relay',
  "relay's backends",
  'aggregator',
  "aggregator's backends",
  'other PostgreSQL',
  'broker',
  'total',
  'bare server',
] as const
export type CostComponent = (typeof costComponents)[number]

export interface CostPerAdd {
  /** The rate target 2 compares at: the highest both kept up with. */
  rate: number
  /** µs of CPU per Add (per call for the bare server); NaN where the run did not record it. */
  us: Record<CostComponent, number>
}

/**
 * What each component spent per Add in one run, at the rate target 2 compares
 * at: a step's CPU seconds divided by the Adds it answered, as its
 * cpuMsPer1000 is. PostgreSQL's split by service is absent from runs recorded
 * before it was; undefined when the run has no step both kept up with.
 */
export function costPerAdd(results: BenchResults): CostPerAdd | undefined {
  const { commonRate, summaAtCommon: summa, bareAtCommon: bare } = comparedSteps(results)
  if (summa === undefined || bare === undefined || answered(summa) === 0 || answered(bare) === 0)
    return undefined
  const perAdd = (step: Step, cpuS: number | undefined): number =>
    cpuS === undefined ? NaN : (cpuS / answered(step)) * 1e6
  const sum = (values: Record<string, number>): number => Object.values(values).reduce((a, b) => a + b, 0)
  const { cpuS, postgresCpuS: postgres } = summa
  return {
    rate: commonRate,
    us: {
      calculator: perAdd(summa, cpuS.calculator),
      "calculator's PostgreSQL backends": perAdd(summa, postgres?.calculator),
      relay: perAdd(summa, cpuS.relay),
      "relay's backends": perAdd(summa, postgres?.relay),
      aggregator: perAdd(summa, cpuS.aggregator),
      "aggregator's backends": perAdd(summa, postgres?.aggregator),
      'other PostgreSQL': perAdd(summa, postgres?.rest),
      broker: perAdd(summa, cpuS.kafka),
      total: perAdd(summa, sum(cpuS)),
      'bare server': perAdd(bare, sum(bare.cpuS)),
    },
  }
}

/**
 * bench/cost-changes.md: one line per component, `component: what changed`,
 * so that the design change behind a line is edited without touching code.
 * HTML comments are left out; a line naming no component fails, so that a
 * misspelt one is not silently dropped from the page.
 */
export function parseCostChanges(text: string): Map<CostComponent, string> {
  const changes = new Map<CostComponent, string>()
  for (const line of text.replace(/<!--[\s\S]*?-->/g, '').split('\n')) {
    if (line.trim() === '') continue
    const colon = line.indexOf(':')
    const name = line.slice(0, Math.max(0, colon)).trim()
    const component = costComponents.find((candidate) => candidate === name)
    if (component === undefined)
      throw new Error(
        `bench/cost-changes.md: "${line.trim()}" names no component (${costComponents.join(', ')})`,
      )
    changes.set(component, line.slice(colon + 1).trim())
  }
  return changes
}

/**
 * The table: before (the baseline run), each run of the set, their median
 * when there are several, and what changed. Each column says at which rate.
 */
export function costTable(
  before: BenchResults | undefined,
  runs: readonly BenchResults[],
  changes: ReadonlyMap<CostComponent, string>,
): string[] {
  const baseline = before === undefined ? undefined : costPerAdd(before)
  const after = runs.map(costPerAdd)
  const rate = (cost: CostPerAdd | undefined): string => (cost === undefined ? '?' : `${cost.rate}/s`)
  const us = (value: number | undefined): string =>
    value === undefined || Number.isNaN(value) ? '?' : String(Math.round(value))
  const withMedian = runs.length > 1
  const header = [
    'component',
    `before, at ${rate(baseline)}`,
    ...after.map((cost, index) => `run ${index + 1}, at ${rate(cost)}`),
    ...(withMedian ? ['median of the runs'] : []),
    'what changed',
  ]
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---|').join('')}`,
    ...costComponents.map((component) => {
      const values = after.map((cost) => cost?.us[component] ?? NaN)
      const cells = [
        component,
        us(baseline?.us[component]),
        ...values.map(us),
        ...(withMedian ? [us(median(values))] : []),
        (changes.get(component) ?? '').replaceAll('|', '\\|'),
      ]
      return `| ${cells.join(' | ')} |`
    }),
  ]
}
