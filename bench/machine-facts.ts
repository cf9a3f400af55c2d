import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { benchRoot } from './bench-session.ts'
import { machineCpuSeconds } from './proc-stats.ts'

/** What the machine was doing when the run started: the load average, and the CPU counters to compute steal from. */
export interface MachineAtStart {
  loadAverage: number[]
  cpu: { total: number; steal: number }
}

export function machineAtStart(): MachineAtStart {
  return { loadAverage: os.loadavg(), cpu: machineCpuSeconds() }
}

/** The machine and software the run measured, and how busy the machine was around it. */
export function machineFacts(
  start: MachineAtStart,
  postgresVersion: string,
): Record<string, string | number | number[]> {
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    postgres: postgresVersion,
    kafka: kafkaVersion(),
    loadAverageAtStart: start.loadAverage.map((value) => Math.round(value * 100) / 100),
    loadAverageAtEnd: os.loadavg().map((value) => Math.round(value * 100) / 100),
    ...stolen(start.cpu, machineCpuSeconds()),
  }
}

function kafkaVersion(): string {
  try {
    const jar = readdirSync(path.join(benchRoot, '.cache/kafka/lib')).find((name) =>
      /^kafka_2\.13-[\d.]+\.jar$/.test(name),
    )
    return jar?.replace(/^kafka_2\.13-/, '').replace(/\.jar$/, '') ?? '?'
  } catch {
    return (
      readFileSync(path.join(benchRoot, 'kafka/pom.xml'), 'utf8').match(/<kafka.version>([^<]+)/)?.[1] ?? '?'
    )
  }
}

/** CPU time the hypervisor took from this machine during the run, in seconds and as a share. */
function stolen(
  start: { total: number; steal: number },
  end: { total: number; steal: number },
): { stealSeconds: number; stealPercent: number } {
  const steal = end.steal - start.steal
  const total = end.total - start.total
  return {
    stealSeconds: Math.round(steal * 10) / 10,
    stealPercent: total > 0 ? Math.round((steal / total) * 1000) / 10 : 0,
  }
}
