import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { sleep } from '../src/shared/sleep.ts'

/** A process the bench started, with its output in a log file. */
export class BenchProcess {
  readonly child: ChildProcess
  readonly exited: Promise<number | null>

  readonly name: string

  constructor(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string) {
    this.name = name
    const log = createWriteStream(logFile, { flags: 'a' })
    this.child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stdout?.pipe(log)
    this.child.stderr?.pipe(log)
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
  }

  get pid(): number {
    return this.child.pid ?? 0
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }
}

export async function waitFor(what: string, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`)
    await sleep(200)
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
  return response.ok
}

/** Reads one gauge per service from Prometheus text (the first sample of `name`). */
export async function scrapeGauge(url: string, name: string): Promise<number | undefined> {
  const text = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((response) => response.text())
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}
