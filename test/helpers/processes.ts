import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defer } from './cleanup.ts'

export const summaEntry = fileURLToPath(new URL('../../src/bin/summa.ts', import.meta.url))
/** The compiled build that `make up` runs (`make build`; every make target that runs tests builds it). */
export const builtSummaEntry = fileURLToPath(new URL('../../dist/bin/summa.js', import.meta.url))

export interface SpawnedSumma {
  child: ChildProcess
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * Runs `summa ARGS` as a real process, in its own process group so a test can
 * kill -9 it together with everything it started. Killed when the test ends.
 */
export function spawnSumma(
  t: Pick<TestContext, 'after'>,
  args: string[],
  env: Record<string, string>,
  entry = summaEntry,
): SpawnedSumma {
  const child = spawn(process.execPath, [entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGKILL')
      await exited
    }
  })
  return { child, output: () => output, exited }
}

/**
 * A graceful stop: the process ended by the very signal that asked it to stop
 * (exitBySignal, src/shared/stop-signals.ts). Exit 1 (a cleanup failed), 130 or
 * 143 (forced: a second signal, or the shutdown timeout) and SIGKILL all fail it.
 */
export async function assertStoppedBy(summa: SpawnedSumma, signal: NodeJS.Signals): Promise<void> {
  assert.deepEqual(await summa.exited, { code: null, signal }, summa.output())
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}

/** Every live descendant of `pid` (children keep their parent even in their own process group). */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // The command may contain spaces and parentheses: parse after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const children = parents.get(ppid) ?? []
      children.push(Number(entry))
      parents.set(ppid, children)
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
