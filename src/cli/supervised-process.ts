import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import type { Logger } from '../shared/logger.ts'
import { backoffMs } from '../shared/sleep.ts'

export interface SupervisedProcessOptions {
  name: string
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  log: Logger
  /** Write the child's output to this file instead of our stdout. */
  logFile?: string
  /** Re-start the process when it exits on its own (not when we stopped it). */
  restart: boolean
}

/**
 * One child process of `summa up`. Children run in their own process group, so
 * a Ctrl-C in the terminal reaches only the supervisor, which then stops them
 * in dependency order. Node children also get an IPC channel: if the
 * supervisor dies without stopping them, the channel closes and they shut down
 * gracefully instead of lingering.
 */
export class SupervisedProcess {
  readonly #options: SupervisedProcessOptions
  #child: ChildProcess | undefined
  #stopping = false
  #restarts = 0
  #exited: Promise<void> = Promise.resolve()

  constructor(options: SupervisedProcessOptions) {
    this.#options = options
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  start(): void {
    const { name, command, args, env, log, logFile } = this.#options
    const output = logFile === undefined ? 'inherit' : 'pipe'
    const ipc = command === process.execPath
    const child = spawn(command, args, {
      env,
      detached: true,
      stdio: ['ignore', output, output, ...(ipc ? ['ipc' as const] : [])],
    })
    if (logFile !== undefined) {
      const file = createWriteStream(logFile, { flags: 'a' })
      // end: false: two streams share one file, and the first to end must not close it.
      child.stdout?.pipe(file, { end: false })
      child.stderr?.pipe(file, { end: false })
      child.once('close', () => file.end())
    }
    this.#child = child
    const startedAt = Date.now()
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve()
        if (this.#stopping || !this.#options.restart) {
          log.info({ process: name, code, signal }, 'process exited')
          return
        }
        // A process that ran a while earns a fresh backoff.
        if (Date.now() - startedAt > 30_000) this.#restarts = 0
        const delayMs = backoffMs(++this.#restarts, 500, 10_000)
        log.error({ process: name, code, signal, delayMs }, 'process died; restarting')
        setTimeout(() => {
          if (!this.#stopping) this.start()
        }, delayMs).unref()
      })
    })
    child.once('error', (error) => log.error({ process: name, err: error }, 'process failed to start'))
  }

  /** SIGKILL now, without waiting: the last resort of a second Ctrl-C. */
  kill(): void {
    this.#stopping = true
    this.#child?.kill('SIGKILL')
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process has exited. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => {
      this.#options.log.warn({ process: this.#options.name, timeoutMs }, 'did not stop in time: SIGKILL')
      child.kill('SIGKILL')
    }, timeoutMs)
    await this.#exited
    clearTimeout(timer)
  }
}
