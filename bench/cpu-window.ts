import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { cpuSeconds, machineCpuSeconds } from './proc-stats.ts'

/**
 * Where the machine's CPU goes during a window: CPU seconds used by each part
 * of a running summa (as `summa up` starts it), every PostgreSQL process, the
 * broker and any `summa load`, next to the whole machine's busy time. For
 * experiments by hand beside `make bench`, e.g. in one shell
 * `./bin/summa load --rate 1000 --duration 20s` and meanwhile in another
 *
 *   node bench/cpu-window.ts 10
 *
 * A process that starts or ends inside the window counts only for the part
 * of it that was seen: keep the window inside the load.
 */
const windowS = Number(process.argv[2] ?? 10)
if (!(windowS > 0)) {
  console.error('usage: node bench/cpu-window.ts SECONDS')
  process.exit(2)
}

/** The part of the system a process belongs to, from its command line, or undefined. */
function roleOf(pid: number): string | undefined {
  let command: string
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return undefined
  }
  if (command.includes('kafka.Kafka')) return 'kafka'
  const service = /summa(?:\.js|\.ts)? (calculator|relay|aggregator|load)\b/.exec(command)?.[1]
  if (service !== undefined) return service
  return /^postgres[: ]/.test(command) || command.includes('/postgres ') ? 'postgres' : undefined
}

function snapshot(): Map<number, { role: string; cpuS: number }> {
  const seen = new Map<number, { role: string; cpuS: number }>()
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    const role = roleOf(pid)
    if (role !== undefined) seen.set(pid, { role, cpuS: cpuSeconds(pid) })
  }
  return seen
}

const machineBefore = machineCpuSeconds()
const before = snapshot()
await sleep(windowS * 1000)
const after = snapshot()
const machineAfter = machineCpuSeconds()

const byRole = new Map<string, number>()
for (const [pid, { role, cpuS }] of after) {
  byRole.set(role, (byRole.get(role) ?? 0) + cpuS - (before.get(pid)?.cpuS ?? 0))
}
const busyS = machineAfter.total - machineAfter.idle - (machineBefore.total - machineBefore.idle)
const cores = (machineAfter.total - machineBefore.total) / windowS
console.log(`CPU seconds over ${windowS} s (${cores.toFixed(1)} cores = ${(cores * windowS).toFixed(1)} s)`)
for (const [role, cpuS] of [...byRole].sort((a, b) => b[1] - a[1]))
  console.log(`${role.padEnd(12)} ${cpuS.toFixed(2).padStart(7)}`)
console.log(`${'machine'.padEnd(12)} ${busyS.toFixed(2).padStart(7)}  (busy, all processes)`)
