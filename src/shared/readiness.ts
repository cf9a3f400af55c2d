import type { Logger } from './logger.ts'

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
  error?: string
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
      return result(check.name, false, started, error instanceof Error ? error.message : String(error))
    }
  }

  #setReady(ready: boolean): void {
    const next = ready && !this.#stopped
    if (next === this.#ready) return
    this.#ready = next
    this.#options.log.info({ ready: next, checks: this.#results }, next ? 'ready' : 'not ready')
    this.#options.onChange?.(next)
  }
}

function result(name: string, ok: boolean, started: number, error?: string): CheckResult {
  const base = { name, ok, observedAt: new Date().toISOString(), durationMs: performance.now() - started }
  return error === undefined ? base : { ...base, error }
}
