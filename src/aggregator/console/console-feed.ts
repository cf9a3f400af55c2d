import type { Logger } from '../../shared/logger.ts'
import type { PartitionLag } from '../consumer-lag.ts'
import type { Total } from '../db/read-total.ts'
import type { RecentEvent } from '../db/recent-events.ts'
import type { LatencyWindow } from '../latency-window.ts'
import type { PartitionOwner } from '../partition-owners.ts'

import type { ConsoleSnapshot } from './console-snapshot.ts'

export type { ConsoleSnapshot }

export interface ConsoleSources {
  readTotal: () => Promise<Total>
  addsPerSecond: () => Promise<number>
  recentEvents: () => Promise<RecentEvent[]>
  lag: () => Promise<PartitionLag[]>
  owners: () => Promise<PartitionOwner[]>
  outbox: () => Promise<{ pending: number; oldestAgeSeconds: number }>
  applyLatency: LatencyWindow
  endToEnd: LatencyWindow
  now?: () => number
}

type Listener = (snapshot: ConsoleSnapshot) => void

/**
 * Reads a snapshot every period while at least one console is open, and hands
 * the same snapshot to every open console: ten open tabs cost one set of
 * queries, and none cost nothing.
 */
export class ConsoleFeed {
  readonly #sources: ConsoleSources
  readonly #periodMs: number
  readonly #log: Logger
  readonly #listeners = new Set<Listener>()
  #timer: NodeJS.Timeout | undefined
  #previous: { at: number; applied: bigint } | undefined
  #latest: ConsoleSnapshot | undefined

  constructor(sources: ConsoleSources, log: Logger, periodMs = 1000) {
    this.#sources = sources
    this.#periodMs = periodMs
    this.#log = log
  }

  /** Calls `listener` with the latest snapshot now (if any) and then every period; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    if (this.#latest !== undefined) listener(this.#latest)
    if (this.#timer === undefined) {
      void this.#tick()
      this.#timer = setInterval(() => void this.#tick(), this.#periodMs)
    }
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.stop()
    }
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  async snapshot(): Promise<ConsoleSnapshot> {
    const s = this.#sources
    const now = (s.now ?? Date.now)()
    // Lag and the outbox need Kafka and a table another service owns: the
    // console still shows the total when either cannot be read.
    const [total, adds, recent, lag, outbox, owners] = await Promise.all([
      s.readTotal(),
      s.addsPerSecond(),
      s.recentEvents(),
      s.lag().catch(() => null),
      s.outbox().catch(() => null),
      s.owners().catch(() => null),
    ])
    const applied = BigInt(total.appliedEvents)
    const previous = this.#previous
    const appliedPerSecond =
      previous === undefined || now <= previous.at
        ? 0
        : Number(applied - previous.applied) / ((now - previous.at) / 1000)
    this.#previous = { at: now, applied }
    const [applyP50, applyP99] = s.applyLatency.percentiles([0.5, 0.99])
    const [e2eP50, e2eP90, e2eP99] = s.endToEnd.percentiles([0.5, 0.9, 0.99])
    return {
      at: new Date(now).toISOString(),
      total: total.total,
      appliedEvents: total.appliedEvents,
      deadLetters: total.poisonEvents,
      lastAppliedAt: total.lastAppliedAt?.toISOString() ?? null,
      addsPerSecond: adds,
      appliedPerSecond: Math.max(0, appliedPerSecond),
      applyLatency: { p50: applyP50 ?? null, p99: applyP99 ?? null },
      endToEnd: { p50: e2eP50 ?? null, p90: e2eP90 ?? null, p99: e2eP99 ?? null },
      lag:
        lag === null
          ? null
          : {
              offsets: lag.reduce((sum, entry) => sum + entry.offsets, 0),
              seconds: lag.reduce((max, entry) => Math.max(max, entry.seconds), 0),
              partitions: lag,
            },
      outbox,
      recent,
      owners,
    }
  }

  async #tick(): Promise<void> {
    try {
      const snapshot = await this.snapshot()
      this.#latest = snapshot
      for (const listener of this.#listeners) listener(snapshot)
    } catch (error) {
      this.#log.warn({ err: error }, 'console snapshot failed')
    }
  }
}
