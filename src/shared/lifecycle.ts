import type { Logger } from './logger.ts'
import { exitBySignal, onStopSignals, signalExitCode } from './stop-signals.ts'

/**
 * Owns the cleanup of everything a process starts. Each resource registers its
 * own cleanup right after it is created, so a start-up that fails halfway still
 * releases what it had opened; cleanups run in reverse order of registration
 * (servers stop accepting before the pools they use are closed).
 */
export class Lifecycle {
  readonly #cleanups: Array<{ name: string; run: () => Promise<void> | void }> = []
  readonly #abort = new AbortController()
  #closing: Promise<void> | undefined
  readonly #log: Logger

  constructor(log: Logger) {
    this.#log = log
  }

  /** Aborted when shutdown begins: long-running loops watch it to stop taking work. */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  get closing(): boolean {
    return this.#closing !== undefined
  }

  /** Registers `run` to be called on close, after everything registered later. */
  defer(name: string, run: () => Promise<void> | void): void {
    this.#cleanups.push({ name, run })
  }

  /** Runs every cleanup once, newest first; one failing cleanup does not stop the others. */
  close(): Promise<void> {
    this.#closing ??= this.#runCleanups()
    return this.#closing
  }

  async #runCleanups(): Promise<void> {
    this.#abort.abort()
    let failed = false
    for (const { name, run } of this.#cleanups.reverse()) {
      try {
        await run()
        this.#log.debug({ resource: name }, 'closed')
      } catch (error) {
        failed = true
        this.#log.error({ err: error, resource: name }, 'cleanup failed')
      }
    }
    if (failed) throw new Error('one or more cleanups failed')
  }
}

export interface ShutdownOptions {
  lifecycle: Lifecycle
  log: Logger
  timeoutMs: number
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: the first signal closes the lifecycle and,
 * when everything was released, ends the process by that same signal
 * (exitBySignal), so a parent can tell a requested stop from a finished or
 * failed run; a cleanup that failed exits 1. A signal repeated within a second
 * of the first is the same request (see onStopSignals); a later one, or a close
 * that takes longer than `timeoutMs`, exits at once with the signal's
 * conventional status (130, 143), so a supervisor never waits forever on a stuck
 * dependency.
 */
export function handleShutdownSignals({ lifecycle, log, timeoutMs }: ShutdownOptions): void {
  const removeHandlers = onStopSignals({
    log,
    force: (signal) => {
      log.warn({ signal }, 'second signal: exiting now')
      process.exit(signalExitCode(signal))
    },
    graceful: (signal) => {
      log.info({ signal }, 'shutting down')
      const timer = setTimeout(() => {
        log.error({ timeoutMs }, 'shutdown timed out: exiting now')
        process.exit(signalExitCode(signal))
      }, timeoutMs)
      timer.unref()
      lifecycle.close().then(
        () => {
          log.info('stopped')
          exitBySignal(signal, removeHandlers)
        },
        (error: unknown) => {
          log.error({ err: error }, 'stopped with errors')
          process.exit(1)
        },
      )
    },
  })
}
