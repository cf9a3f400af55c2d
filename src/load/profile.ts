import type { Stage } from './load-options.ts'

/** Total length of a profile. */
export function profileDurationMs(stages: Stage[]): number {
  return stages.reduce((sum, stage) => sum + stage.durationMs, 0)
}

/**
 * The target (arrivals/s or virtual users) `elapsedMs` into the profile: each
 * stage moves linearly from the previous target to its own, as k6's stages do.
 * Undefined once the profile is over.
 */
export function targetAt(startTarget: number, stages: Stage[], elapsedMs: number): number | undefined {
  let from = startTarget
  let stageStart = 0
  for (const stage of stages) {
    if (elapsedMs < stageStart + stage.durationMs) {
      const progress = stage.durationMs === 0 ? 1 : (elapsedMs - stageStart) / stage.durationMs
      return from + (stage.target - from) * progress
    }
    from = stage.target
    stageStart += stage.durationMs
  }
  return undefined
}

/**
 * Send times of an open-model profile, in ms from its start: the n-th arrival
 * is due when the integral of the rate reaches n (rates taken per millisecond,
 * so ramps are followed closely). Times come from the profile alone, never
 * from when earlier requests were answered, so a slow server cannot slow the
 * arrivals down.
 */
export function* arrivalTimes(startTarget: number, stages: Stage[]): Generator<number> {
  const end = profileDurationMs(stages)
  const stepMs = 1
  let accumulated = 0
  let due = 0
  for (let t = 0; t < end; t += stepMs) {
    const perMs = (targetAt(startTarget, stages, t + stepMs / 2) ?? 0) / 1000
    const reached = accumulated + perMs * stepMs
    while (due < reached) {
      yield t + (due - accumulated) / perMs
      due++
    }
    accumulated = reached
  }
}
