import type { Logger } from './logger.ts'

export interface PeriodicOptions {
  name: string
  intervalMs: number
  run: () => Promise<unknown>
  log: Logger
}

/**
 * Runs `run` every interval, never overlapping itself, logging failures instead
 * of crashing: housekeeping must not take a service down. Returns a stop
 * function that waits for a run in progress.
 */
export function startPeriodic({ name, intervalMs, run, log }: PeriodicOptions): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined
  let current: Promise<unknown> = Promise.resolve()
  let stopped = false
  const tick = (): void => {
    current = run()
      .catch((error: unknown) => log.warn({ err: error, task: name }, 'periodic task failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs).unref()
      })
  }
  timer = setTimeout(tick, intervalMs).unref()
  return async () => {
    stopped = true
    clearTimeout(timer)
    await current
  }
}
