import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'

export interface ProcessSpec {
  name: string
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  logFile: string
}

/**
 * One process of the system under test, restarted 200 ms after it dies, as
 * `summa up` (or systemd, or Kubernetes) would: "recovers by itself" in the
 * fault suite means with no step from the test other than the fault.
 */
export class Supervised {
  readonly spec: ProcessSpec
  readonly #log: WriteStream
  #closed: Promise<unknown> = Promise.resolve()
  #child: ChildProcess | undefined
  #stopping = false
  #held = false
  restarts = 0

  constructor(spec: ProcessSpec) {
    this.spec = spec
    this.#log = createWriteStream(spec.logFile, { flags: 'a' })
  }

  /** Kept down on purpose (hold or crash) until release(). */
  get held(): boolean {
    return this.#held
  }

  get pid(): number {
    const pid = this.#child?.pid
    if (pid === undefined) throw new Error(`${this.spec.name} is not running`)
    return pid
  }

  start(): void {
    const child = spawn(this.spec.command, this.spec.args, {
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    child.stdout?.pipe(this.#log, { end: false })
    child.stderr?.pipe(this.#log, { end: false })
    this.#child = child
    // 'close' comes after the last output is piped: the log is ended only then (see stop()).
    this.#closed = new Promise((resolve) => child.once('close', resolve))
    child.once('exit', (code, signal) => {
      this.#log.write(`\n--- ${this.spec.name} exited code=${code} signal=${signal}\n`)
      if (this.#stopping || this.#held) return
      this.restarts++
      setTimeout(() => {
        if (!this.#stopping && !this.#held) this.start()
      }, 200)
    })
  }

  /** Sends `signal` to the process group (the broker's run.sh execs its JVM, so the group is it). */
  signal(signal: NodeJS.Signals): void {
    process.kill(-this.pid, signal)
  }

  /** Stops the process gracefully (SIGTERM) and keeps it down until release(). */
  async hold(timeoutMs = 30_000): Promise<void> {
    this.#held = true
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    this.signal('SIGTERM')
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs)
    await exited
    clearTimeout(timer)
  }

  /** kill -9, and keeps it down until release(): a replica that died for good. */
  async crash(): Promise<void> {
    this.#held = true
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    this.signal('SIGKILL')
    await exited
  }

  release(): void {
    this.#held = false
    this.start()
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    this.#stopping = true
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      await this.#closed
      this.#log.end()
      return
    }
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      process.kill(-child.pid!, 'SIGCONT')
      process.kill(-child.pid!, 'SIGTERM')
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    }, timeoutMs)
    await exited
    clearTimeout(timer)
    // A process's last lines can still be on their way through the pipe when it has exited.
    await this.#closed
    this.#log.end()
  }
}
