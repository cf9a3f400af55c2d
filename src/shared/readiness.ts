import { type ErrorCode, SummaError } from './errors.ts'
import type { Logger } from './logger.ts'
import { isLoginRefused } from './login-refused.ts'

export interface DependencyCheck {
  /** Stable name shown in /health, e.g. "postgres" or "kafka". */
  name: string
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check: (signal: AbortSignal) => Promise<void>
}

export interface CheckResult {
  name: string
  ok: boolean
  observedAt: string
  durationMs: number
  /**
   * Why the last probe failed, as a code from the closed list (UNAVAILABLE for a
   * refused or lost connection, DEADLINE_EXCEEDED for no answer in time,
   * INVALID_CONFIG for a login PostgreSQL refused, INTERNAL otherwise). The error itself goes to the log at debug only: its text names
   * hosts and ports, and /health answers anyone who can reach the port.
   */
  reason?: ErrorCode
}

export interface ReadinessOptions {
  checks: DependencyCheck[]
  intervalMs: number
  timeoutMs: number
  log: Logger
  /** Told whenever overall readiness flips, e.g. to update grpc.health.v1. */
  onChange?: (ready: boolean) => void
}

/**
 * Probes dependencies on a fixed period and keeps the latest answer, so health
 * endpoints answer instantly and a dead dependency is reported within one
 * period instead of hanging the probe that asked.
 */
export class Readiness {
  readonly #options: ReadinessOptions
  #results: CheckResult[]
  #timer: NodeJS.Timeout | undefined
  #ready = false
  #stopped = false

  constructor(options: ReadinessOptions) {
    this.#options = options
    const now = new Date().toISOString()
    this.#results = options.checks.map((c) => ({ name: c.name, ok: false, observedAt: now, durationMs: 0 }))
  }

  get ready(): boolean {
    return this.#ready && !this.#stopped
  }

  get results(): readonly CheckResult[] {
    return this.#results
  }

  /** Runs the checks once now, then every interval until stop(). */
  async start(): Promise<void> {
    await this.probe()
    const loop = (): void => {
      this.#timer = setTimeout(() => {
        this.probe().finally(() => {
          if (!this.#stopped) loop()
        })
      }, this.#options.intervalMs)
      this.#timer.unref()
    }
    loop()
  }

  /** Marks the process not ready at once: shutdown begins by failing readiness. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#setReady(false)
  }

  async probe(): Promise<void> {
    this.#results = await Promise.all(this.#options.checks.map((check) => this.#run(check)))
    this.#setReady(this.#results.every((result) => result.ok))
  }

  async #run(check: DependencyCheck): Promise<CheckResult> {
    const started = performance.now()
    const signal = AbortSignal.timeout(this.#options.timeoutMs)
    try {
      await Promise.race([
        check.check(signal),
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('timed out')))),
      ])
      return result(check.name, true, started)
    } catch (error) {
      const reason = signal.aborted ? 'DEADLINE_EXCEEDED' : reasonOf(error)
      this.#options.log.debug({ check: check.name, reason, err: error }, 'dependency check failed')
      const previous = this.#results.find((r) => r.name === check.name)
      // One warn line per change of state, without the error's text: a dependency that stays
      // down does not flood the log, and the detail is at debug for whoever needs it.
      if (previous?.ok !== false || previous.reason !== reason) {
        this.#options.log.warn({ check: check.name, reason }, 'dependency check failing')
      }
      return result(check.name, false, started, reason)
    }
  }

  #setReady(ready: boolean): void {
    const next = ready && !this.#stopped
    if (next === this.#ready) return
    this.#ready = next
    const checks = this.#results.map(({ name, ok, reason }) => (ok ? { name, ok } : { name, ok, reason }))
    this.#options.log.info({ ready: next, checks }, next ? 'ready' : 'not ready')
    this.#options.onChange?.(next)
  }
}

function result(name: string, ok: boolean, started: number, reason?: ErrorCode): CheckResult {
  const base = { name, ok, observedAt: new Date().toISOString(), durationMs: performance.now() - started }
  return reason === undefined ? base : { ...base, reason }
}

/**
 * The code of the first error in `error`'s chain (its cause, an AggregateError's
 * inner errors) that is not a bug: a Kafka client wraps a refused connection two
 * levels deep ("Listing topics failed" > "Cannot connect to any broker" > ECONNREFUSED).
 */
function reasonOf(error: unknown, depth = 0): ErrorCode {
  if (isLoginRefused(error)) return 'INVALID_CONFIG'
  const code = SummaError.from(error).code
  if (code !== 'INTERNAL' || depth > 4 || typeof error !== 'object' || error === null) return code
  const { cause, errors } = error as { cause?: unknown; errors?: unknown }
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    if (inner === undefined) continue
    const found = reasonOf(inner, depth + 1)
    if (found !== 'INTERNAL') return found
  }
  return code
}
