import { randomInt, randomUUID } from 'node:crypto'
import { status } from '@grpc/grpc-js'
import { type LedgerEntry, type LedgerWriter, outcomeOf } from '../shared/ledger.ts'
import type { AddCallInput, LoadTargets } from './load-targets.ts'

/**
 * Numbers of load Adds are multiples of this when end-to-end probes run, so
 * the total modulo it changes only by the probes' own +1s.
 */
export const probeModulus = 1_000_000_000n

interface Sent extends AddCallInput {
  attempts: number
}

/**
 * Makes Add requests (new ones, or with `duplicateRatio` a re-send of a recent
 * one, same id and numbers, as a client retry would be), sends them and writes
 * every attempt to the ledger.
 */
export class AddTraffic {
  readonly #recent: Sent[] = []
  #recentNext = 0
  readonly #targets: LoadTargets
  readonly #ledger: LedgerWriter | undefined
  readonly #duplicateRatio: number
  readonly #deadlineMs: number
  readonly #numberScale: bigint

  constructor(options: {
    targets: LoadTargets
    ledger: LedgerWriter | undefined
    duplicateRatio: number
    deadlineMs: number
    probing: boolean
  }) {
    this.#targets = options.targets
    this.#ledger = options.ledger
    this.#duplicateRatio = options.duplicateRatio
    this.#deadlineMs = options.deadlineMs
    this.#numberScale = options.probing ? probeModulus : 1n
  }

  next(): Sent {
    if (this.#recent.length > 0 && Math.random() < this.#duplicateRatio) {
      const earlier = this.#recent[randomInt(this.#recent.length)]!
      earlier.attempts++
      return earlier
    }
    const request: Sent = {
      requestId: randomUUID(),
      num1: (BigInt(randomInt(-1_000_000, 1_000_001)) * this.#numberScale).toString(),
      num2: (BigInt(randomInt(-1_000_000, 1_000_001)) * this.#numberScale).toString(),
      attempts: 1,
    }
    // A ring of recent requests to draw duplicates from.
    if (this.#recent.length < 1024) this.#recent.push(request)
    else this.#recent[this.#recentNext++ % 1024] = request
    return request
  }

  /** Sends one attempt; latency counts from `scheduledAtMs` (a performance.now() value). */
  async send(request: AddCallInput & { attempts?: number }, scheduledAtMs: number) {
    const attempt = request.attempts ?? 1
    const result = await this.#targets.add(request, this.#deadlineMs)
    const latencyMs = performance.now() - scheduledAtMs
    if (this.#ledger !== undefined) {
      const code = status[result.code as keyof typeof status] as status | undefined
      const entry: LedgerEntry = {
        v: 1,
        requestId: request.requestId,
        num1: request.num1,
        num2: request.num2,
        outcome: outcomeOf(code ?? status.UNKNOWN),
        code: result.code,
        attempt,
        scheduledAt: new Date(performance.timeOrigin + scheduledAtMs).toISOString(),
        latencyMs: Math.round(latencyMs * 1000) / 1000,
      }
      if (result.value !== undefined) {
        entry.sum = result.value.sum
        entry.replayed = result.value.replayed
      }
      await this.#ledger.record(entry)
    }
    return { ...result, latencyMs }
  }
}
