import type { Logger } from './logger.ts'

export interface ThrottledCount<K extends string> {
  add: (key: K) => void
  stop: () => void
}

/**
 * Counts events by key and logs the counts as one warning per period, and only
 * when something was counted: a flood of refused connections is worth knowing
 * about, but one line per refusal would let the flood fill the log.
 */
export function throttledCount<K extends string>(
  log: Logger,
  message: string,
  context: Record<string, unknown>,
  periodMs = 10_000,
): ThrottledCount<K> {
  let counts: Record<string, number> = {}
  const timer = setInterval(() => {
    if (Object.keys(counts).length === 0) return
    log.warn({ ...context, ...counts, periodMs }, message)
    counts = {}
  }, periodMs)
  timer.unref()
  return {
    add: (key) => {
      counts[key] = (counts[key] ?? 0) + 1
    },
    stop: () => clearInterval(timer),
  }
}
