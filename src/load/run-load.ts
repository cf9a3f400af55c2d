import { randomInt } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { LedgerWriter } from '../shared/ledger.ts'
import { sleep } from '../shared/sleep.ts'
import { AddTraffic } from './add-traffic.ts'
import { runEndToEndProbe } from './e2e-probe.ts'
import type { LoadOptions, Operation } from './load-options.ts'
import { evaluateThresholds, type LoadReport } from './load-report.ts'
import { LoadStats, type TimelinePoint } from './load-stats.ts'
import { LoadTargets } from './load-targets.ts'
import { arrivalTimes, profileDurationMs, targetAt } from './profile.ts'

export interface RunLoadHooks {
  /** Called once a second with the window that just closed. */
  onSecond?: (point: TimelinePoint, stats: LoadStats) => void
  signal?: AbortSignal
}

/** Runs one load profile against a live system and returns its report. */
export async function runLoad(options: LoadOptions, hooks: RunLoadHooks = {}): Promise<LoadReport> {
  const targets = new LoadTargets(options.grpcAddress, options.httpBase, options.channels, {
    tls: options.tls,
    apiKey: options.apiKey,
  })
  const ledger = options.ledgerFile === undefined ? undefined : new LedgerWriter(options.ledgerFile)
  const stats = new LoadStats()
  const traffic = new AddTraffic({
    targets,
    ledger,
    duplicateRatio: options.duplicateRatio,
    deadlineMs: options.deadlineMs,
    probing: options.e2eProbe,
  })
  const execute = async (operation: Operation, scheduledAtMs: number): Promise<void> => {
    stats.markSent()
    if (operation === 'add') {
      const result = await traffic.send(traffic.next(), scheduledAtMs)
      stats.record('add', result.code, result.latencyMs)
      return
    }
    const result = await targets.getJson(operation === 'total' ? '/total' : '/health', options.deadlineMs)
    stats.record(operation, result.code, performance.now() - scheduledAtMs)
  }

  const stopProbe = new AbortController()
  const startedAt = new Date()
  const start = performance.now()
  let second = 0
  const ticker = setInterval(() => {
    const point = stats.tick(++second)
    hooks.onSecond?.(point, stats)
  }, 1000)
  try {
    const probe = options.e2eProbe
      ? runEndToEndProbe({ targets, traffic, stats, signal: stopProbe.signal })
      : undefined
    const inFlight =
      options.model === 'open'
        ? await runOpen(options, start, stats, execute, hooks.signal)
        : await runClosed(options, start, execute, hooks.signal)
    stopProbe.abort()
    await Promise.all(inFlight)
    const probed = await probe
    const end = performance.now()
    const durationS = (end - start) / 1000
    const requests = stats.ok + stats.errors
    const latency = stats.all.summary()
    const errorRate = requests === 0 ? 0 : stats.errors / requests
    const thresholds = evaluateThresholds(options.thresholds, { errorRate, latency })
    await ledger?.close()
    const report: LoadReport = {
      v: 1,
      model: options.model,
      startedAt: startedAt.toISOString(),
      durationS: Math.round(durationS * 1000) / 1000,
      requests,
      ok: stats.ok,
      errors: stats.errors,
      errorRate,
      throughputPerS: Math.round((stats.ok / durationS) * 10) / 10,
      latency,
      byOperation: stats.byOperation(),
      errorsByCode: Object.fromEntries(stats.errorsByCode),
      ...(probed === undefined
        ? {}
        : { endToEnd: { probes: probed.probes, failed: probed.failed, latency: probed.latency.summary() } }),
      ...(ledger === undefined || options.ledgerFile === undefined
        ? {}
        : { ledger: { file: options.ledgerFile, entries: ledger.count } }),
      thresholds,
      passed: thresholds.every((threshold) => threshold.passed),
      timeline: stats.timeline,
    }
    if (options.jsonFile !== undefined)
      await writeFile(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`)
    return report
  } finally {
    clearInterval(ticker)
    stopProbe.abort()
    targets.close()
  }
}

type Execute = (operation: Operation, scheduledAtMs: number) => Promise<void>

/**
 * Open model: sends each request at its scheduled time, whatever happened to
 * the earlier ones, and measures latency from that time. A stalled server
 * therefore shows its queueing delay instead of hiding it by slowing the
 * client down (coordinated omission).
 */
async function runOpen(
  options: LoadOptions,
  start: number,
  stats: LoadStats,
  execute: Execute,
  signal: AbortSignal | undefined,
): Promise<Promise<void>[]> {
  const pick = operationPicker(options.mix)
  const pending = new Set<Promise<void>>()
  const arrivals = arrivalTimes(options.startTarget, options.stages)
  let next = arrivals.next()
  while (!next.done && !signal?.aborted) {
    const now = performance.now() - start
    while (!next.done && next.value <= now) {
      if (stats.inFlight >= options.maxInFlight) {
        stats.record('add', 'CLIENT_OVERLOAD', undefined)
      } else {
        const work = execute(pick(), start + next.value)
        pending.add(work)
        work.finally(() => pending.delete(work))
      }
      next = arrivals.next()
    }
    if (!next.done) await sleep(Math.max(0, Math.min(5, next.value - (performance.now() - start))))
  }
  return [...pending]
}

/**
 * Closed model: virtual users, each sending one request, waiting for its
 * answer, then thinking for a random time, as k6's ramping-vus executor does.
 * The VU count follows the profile; a VU above the current target stops after
 * its request in progress.
 */
async function runClosed(
  options: LoadOptions,
  start: number,
  execute: Execute,
  signal: AbortSignal | undefined,
): Promise<Promise<void>[]> {
  const pick = operationPicker(options.mix)
  const end = start + profileDurationMs(options.stages)
  const running = new Map<number, Promise<void>>()
  const wanted = (): number =>
    Math.round(targetAt(options.startTarget, options.stages, performance.now() - start) ?? 0)
  const user = async (index: number): Promise<void> => {
    while (!signal?.aborted && performance.now() < end && index < wanted()) {
      await execute(pick(), performance.now())
      const { min, max } = options.thinkMs
      await sleep(min + Math.random() * (max - min), signal)
    }
  }
  while (!signal?.aborted && performance.now() < end) {
    const target = wanted()
    for (let index = 0; index < target; index++) {
      if (!running.has(index))
        running.set(
          index,
          user(index).finally(() => running.delete(index)),
        )
    }
    await sleep(100, signal)
  }
  return [...running.values()]
}

function operationPicker(mix: Record<Operation, number>): () => Operation {
  const entries = (Object.entries(mix) as [Operation, number][]).filter(([, weight]) => weight > 0)
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
  if (entries.length === 1) {
    const only = entries[0]![0]
    return () => only
  }
  return () => {
    let roll = (randomInt(1_000_000) / 1_000_000) * total
    for (const [operation, weight] of entries) {
      roll -= weight
      if (roll < 0) return operation
    }
    return entries.at(-1)![0]
  }
}
