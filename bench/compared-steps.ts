import type { BenchResults, Step } from './bench-results.ts'

/** The steps of one run that the targets and the cost table read. */
export interface ComparedSteps {
  /** The sustained rate, or with none passed (a busy machine), the highest rate summa kept up with. */
  summaRate: number
  summaStep: Step | undefined
  /**
   * The rate CPU per call is compared at, so that both pay the same fixed
   * overheads per second: the highest rate both kept up with (0: none).
   */
  commonRate: number
  summaAtCommon: Step | undefined
  bareAtCommon: Step | undefined
}

export function comparedSteps(results: BenchResults): ComparedSteps {
  const { sustained, steps } = results
  // A step that passed preferred; otherwise the last attempt at that rate.
  const at = (target: Step['target'], rate: number): Step | undefined =>
    steps.find((step) => step.target === target && step.rate === rate && step.passed) ??
    steps.findLast((step) => step.target === target && step.rate === rate)
  const summaRate = sustained.summa > 0 ? sustained.summa : results.capacity.summa
  const keptUp = (step: Step): boolean => step.throughputPerS >= 0.95 * step.rate
  const commonRate = Math.max(
    0,
    ...steps
      .filter((step) => step.target === 'bare' && keptUp(step))
      .map((step) => step.rate)
      .filter((rate) => steps.some((step) => step.target === 'summa' && step.rate === rate && keptUp(step))),
  )
  return {
    summaRate,
    summaStep: at('summa', summaRate),
    commonRate,
    summaAtCommon: at('summa', commonRate),
    bareAtCommon: at('bare', commonRate),
  }
}

/** The Adds a step answered: its CPU per Add is its CPU seconds divided by these (as cpuMsPer1000 is). */
export function answered(step: Step): number {
  return step.requests - step.errors
}
