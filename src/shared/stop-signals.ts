import type { Logger } from './logger.ts'

/** How long after the first stop signal a repeat counts as the same request to stop. */
export const stopSignalRepeatWindowMs = 1000

export interface StopSignalOptions {
  /** Called once, on the first SIGINT or SIGTERM. */
  graceful: (signal: NodeJS.Signals) => void
  /** Called on a stop signal that arrives after the repeat window: the operator insists. */
  force: (signal: NodeJS.Signals) => void
  log: Logger
  repeatWindowMs?: number
  /** The process in production; an EventEmitter in tests. */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>
  now?: () => number
}

/**
 * First SIGINT/SIGTERM = graceful stop; a later one = stop now. One keypress
 * can deliver several signals, though: Ctrl-C signals the terminal's whole
 * process group, `make` forwards SIGTERM to its child, and a wrapper (an IDE's
 * stop button, a container runtime) may add a signal of its own. All of them
 * arrive within milliseconds, so repeats inside `repeatWindowMs` of the first
 * are taken as that same request instead of as "kill now", which would skip
 * the ordered stop. Returns a function that removes the handlers.
 */
export function onStopSignals({
  graceful,
  force,
  log,
  repeatWindowMs = stopSignalRepeatWindowMs,
  signals = process,
  now = Date.now,
}: StopSignalOptions): () => void {
  let firstAt: number | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstAt === undefined) {
      firstAt = now()
      graceful(signal)
    } else if (now() - firstAt < repeatWindowMs) {
      log.info({ signal, repeatWindowMs }, 'stop already under way: repeated signal ignored')
    } else {
      force(signal)
    }
  }
  signals.on('SIGINT', onSignal)
  signals.on('SIGTERM', onSignal)
  return () => {
    signals.off('SIGINT', onSignal)
    signals.off('SIGTERM', onSignal)
  }
}

/** The exit status a shell reports for a process killed by `signal`. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (signal === 'SIGINT' ? 2 : 15)
}

/** What exitBySignal needs of the process; `process` itself outside tests. */
export type ExitingProcess = Pick<NodeJS.Process, 'pid' | 'kill' | 'exit' | 'once'>

/**
 * Ends the process, after a graceful stop, the way `signal` would have: the parent
 * sees "killed by SIGTERM" (a shell: status 143), which says the process stopped
 * because it was asked to, where exit 0 would say it finished its work on its own
 * (graphile-worker does the same). `removeHandlers` first, or the re-raised signal
 * would only reach our own handler again.
 *
 * The signal is raised from an exit listener, after every line logged before
 * process.exit was written (the logger writes stdout synchronously, logger.ts). If the
 * signal does not end the process, exit goes on with 128 + its number: the kernel
 * drops a signal that has no handler when the process is PID 1 of a container.
 */
export function exitBySignal(
  signal: NodeJS.Signals,
  removeHandlers: () => void,
  target: ExitingProcess = process,
): void {
  removeHandlers()
  target.once('exit', () => target.kill(target.pid, signal))
  target.exit(signalExitCode(signal))
}
