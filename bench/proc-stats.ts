import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on every Linux this runs on. */
const ticksPerSecond = 100

interface ProcStat {
  ppid: number
  /** utime + stime, in seconds. */
  own: number
  /** cutime + cstime: children that exited and were reaped. */
  reapedChildren: number
}

function readStat(pid: number): ProcStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const field = (n: number): number => Number(fields[n - 3])
  return {
    ppid: field(4),
    own: (field(14) + field(15)) / ticksPerSecond,
    reapedChildren: (field(16) + field(17)) / ticksPerSecond,
  }
}

/** CPU seconds a process has used so far (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  return readStat(pid)?.own ?? 0
}

/**
 * CPU seconds of a process and all its descendants, living or reaped: for the
 * postmaster that is every PostgreSQL backend and worker of the cluster.
 */
export function treeCpuSeconds(rootPid: number): number {
  const children = new Map<number, number[]>()
  const stats = new Map<number, ProcStat>()
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    const stat = readStat(pid)
    if (stat === undefined) continue
    stats.set(pid, stat)
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid])
  }
  let total = 0
  const visit = (pid: number): void => {
    const stat = stats.get(pid)
    if (stat === undefined) return
    total += stat.own + stat.reapedChildren
    for (const child of children.get(pid) ?? []) visit(child)
  }
  visit(rootPid)
  return total
}

/** CPU seconds of this process's children that have exited (a finished load client, say). */
export function reapedChildrenCpuSeconds(): number {
  return readStat(process.pid)?.reapedChildren ?? 0
}

/** Peak and current resident set size of a process, in MB. */
export function memoryMb(pid: number): { rssMb: number; peakRssMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
    return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) }
  } catch {
    return { rssMb: 0, peakRssMb: 0 }
  }
}

/**
 * The whole machine's CPU time from /proc/stat, in seconds over all cores:
 * `steal` is time a virtual CPU was runnable but the hypervisor ran something
 * else, which slows both sides of the bench alike and shows in their p99.
 */
export function machineCpuSeconds(): { total: number; idle: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number)
  return {
    total: ticks.reduce((sum, value) => sum + value, 0) / ticksPerSecond,
    idle: ((ticks[3] ?? 0) + (ticks[4] ?? 0)) / ticksPerSecond,
    steal: (ticks[7] ?? 0) / ticksPerSecond,
  }
}
