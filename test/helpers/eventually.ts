import { setTimeout as delay } from 'node:timers/promises'

/**
 * Polls `probe` until it stops throwing, then returns its value: tests wait on
 * a condition, never on a fixed sleep. The last failure is rethrown on timeout
 * so the test says what was still wrong.
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await probe()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await delay(intervalMs)
    }
  }
}
