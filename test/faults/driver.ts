import assert from 'node:assert/strict'
import { randomInt, randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { type ChannelCredentials, type Metadata, status } from '@grpc/grpc-js'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import {
  type LedgerEntry,
  type LedgerOutcome,
  LedgerOutcomes,
  LedgerWriter,
  outcomeOf,
} from '../../src/shared/ledger.ts'
import { eventually } from '../helpers/eventually.ts'

export interface DriverOptions {
  address: string
  ledgerFile: string
  /** New requests per second, across all workers. */
  ratePerSecond: number
  /** Concurrent clients (default 8). */
  workers?: number
  /** The client deadline of a normal attempt (default 1000). */
  deadlineMs?: number
  /** After stop(), how long unanswered requests keep being retried with their id (default 30 s). */
  drainMs?: number
  /** The channel's credentials (default plaintext), e.g. grpc.credentials.createSsl(ca) for TLS. */
  credentials?: ChannelCredentials
  /** Sent with every Add (default none), e.g. `authorization: Bearer KEY`. */
  metadata?: Metadata
}

const driverDefaults = { workers: 8, deadlineMs: 1000, drainMs: 30_000 }
type Settings = Required<Omit<DriverOptions, 'credentials' | 'metadata'>> &
  Pick<DriverOptions, 'credentials' | 'metadata'>

export interface DriverStats {
  requests: number
  attempts: number
  duplicateSends: number
  ok: number
  unresolved: number
}

/**
 * The fault suite's client: Adds at a bounded rate, every attempt written to
 * the shared ledger. It behaves like a careful client under faults: a request
 * without an answer is retried with the same id (backoff) until it gets one.
 * On top of that it sends duplicates on purpose, so that well over 10 % of
 * sends repeat an id: 12 % of requests are sent again after their answer, 4 %
 * twice at the same time, and 4 % first with a 1 ms deadline that expires
 * before the answer (the classic "timed out, but was it recorded?").
 */
export class TrafficDriver {
  readonly #options: Settings
  readonly #client: CalculatorClient
  readonly #ledger: LedgerWriter
  readonly #acknowledged: Array<{ at: number; requestId: string }> = []
  #stopping = false
  #stopped: Promise<DriverStats> | undefined
  #hardStop = 0
  #workers: Promise<void>[] = []
  #stats: DriverStats = { requests: 0, attempts: 0, duplicateSends: 0, ok: 0, unresolved: 0 }

  constructor(options: DriverOptions) {
    this.#options = { ...driverDefaults, ...options }
    // Reconnect fast after a killed calculator: grpc-js would otherwise back off up to 120 s.
    this.#client = new CalculatorClient(
      options.address,
      {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        'grpc.min_reconnect_backoff_ms': 100,
      },
      options.credentials,
    )
    this.#ledger = new LedgerWriter(options.ledgerFile)
  }

  start(): void {
    for (let i = 0; i < this.#options.workers; i++) this.#workers.push(this.#work())
  }

  /** The first attempt answered OK at or after `since` (epoch ms), if any yet. */
  firstOkAfter(since: number): { at: number; requestId: string } | undefined {
    return this.#acknowledged.find((ok) => ok.at >= since)
  }

  /** Writes an attempt made by someone else (a scenario's own client) to this driver's ledger. */
  record(entry: LedgerEntry): Promise<void> {
    return this.#ledger.record(entry)
  }

  get stats(): DriverStats {
    return { ...this.#stats }
  }

  /** Resolves once `count` more Adds than now have succeeded: traffic kept flowing after a recovery. */
  async moreOk(count: number, timeoutMs = 60_000): Promise<void> {
    const from = this.#stats.ok
    await eventually(() => assert.ok(this.#stats.ok >= from + count, `${count} more Adds succeed`), timeoutMs)
  }

  /** Stops new requests, retries the unanswered ones for up to drainMs, closes the ledger. */
  stop(): Promise<DriverStats> {
    this.#stopped ??= this.#stop()
    return this.#stopped
  }

  async #stop(): Promise<DriverStats> {
    this.#stopping = true
    this.#hardStop = Date.now() + this.#options.drainMs
    await Promise.all(this.#workers)
    await this.#ledger.close()
    this.#client.close()
    return this.stats
  }

  async #work(): Promise<void> {
    const intervalMs = (1000 * this.#options.workers) / this.#options.ratePerSecond
    while (!this.#stopping) {
      const started = Date.now()
      await this.#request()
      const wait = intervalMs - (Date.now() - started)
      if (wait > 0) await delay(wait)
    }
  }

  async #request(): Promise<void> {
    const requestId = randomUUID()
    const num1 = String(randomInt(-1_000_000_000, 1_000_000_000))
    const num2 = String(randomInt(-1_000_000_000, 1_000_000_000))
    this.#stats.requests++
    let attempt = 0
    const send = (deadlineMs: number) => this.#send(requestId, num1, num2, ++attempt, deadlineMs)
    const roll = Math.random()
    let outcome: LedgerOutcome
    if (roll < 0.04) {
      const both = await Promise.all([send(this.#options.deadlineMs), send(this.#options.deadlineMs)])
      outcome = both.includes(LedgerOutcomes.OK) ? LedgerOutcomes.OK : both[0]!
    } else if (roll < 0.08) {
      outcome = await send(1)
    } else {
      outcome = await send(this.#options.deadlineMs)
    }
    for (let retry = 1; outcome === LedgerOutcomes.UNKNOWN; retry++) {
      if (this.#stopping && Date.now() > this.#hardStop) {
        this.#stats.unresolved++
        return
      }
      await delay(Math.min(1000, 50 * 2 ** Math.min(retry, 5)) * (0.5 + Math.random() / 2))
      outcome = await send(this.#options.deadlineMs)
    }
    if (outcome === LedgerOutcomes.OK && roll >= 0.08 && roll < 0.2) {
      await delay(randomInt(0, 200))
      await send(this.#options.deadlineMs)
    }
  }

  async #send(
    requestId: string,
    num1: string,
    num2: string,
    attempt: number,
    deadlineMs: number,
  ): Promise<LedgerOutcome> {
    const scheduled = Date.now()
    this.#stats.attempts++
    if (attempt > 1) this.#stats.duplicateSends++
    let code: status = status.OK
    let sum: string | undefined
    let replayed: boolean | undefined
    try {
      const response = await this.#client.add({
        requestId,
        num1,
        num2,
        deadlineMs,
        ...(this.#options.metadata === undefined ? {} : { metadata: this.#options.metadata.clone() }),
      })
      sum = response.sum
      replayed = response.replayed
    } catch (error) {
      code = (error as { code?: status }).code ?? status.UNKNOWN
    }
    const outcome = outcomeOf(code)
    if (outcome === LedgerOutcomes.OK) {
      this.#stats.ok++
      this.#acknowledged.push({ at: Date.now(), requestId })
    }
    await this.#ledger.record({
      v: 1,
      requestId,
      num1,
      num2,
      outcome,
      code: status[code] ?? String(code),
      ...(sum === undefined ? {} : { sum, replayed: replayed ?? false }),
      attempt,
      scheduledAt: new Date(scheduled).toISOString(),
      latencyMs: Date.now() - scheduled,
    })
    return outcome
  }
}
