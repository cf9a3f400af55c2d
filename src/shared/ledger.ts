import { once } from 'node:events'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { status } from '@grpc/grpc-js'

/**
 * The ledger: what a client sent and what it was told, one JSON line per Add
 * attempt. `summa load` and the fault-injection driver write it; `summa verify`
 * reads it and compares it with what the aggregator applied.
 *
 * Outcomes, from the client's point of view:
 * - ok: the server answered the sum, so the request is recorded and must be
 *   applied exactly once;
 * - rejected: the server refused it for a reason that writes nothing
 *   (INVALID_ARGUMENT, OUT_OF_RANGE, ALREADY_EXISTS, FAILED_PRECONDITION), so this
 *   attempt added nothing;
 * - unknown: no answer (deadline, lost connection, UNAVAILABLE, INTERNAL…), so
 *   the request may or may not be recorded: applied at most once.
 */
export const LedgerOutcomes = { OK: 'ok', REJECTED: 'rejected', UNKNOWN: 'unknown' } as const
export type LedgerOutcome = (typeof LedgerOutcomes)[keyof typeof LedgerOutcomes]

export interface LedgerEntry {
  v: 1
  requestId: string
  /** int64 as decimal strings, exactly as sent. */
  num1: string
  num2: string
  outcome: LedgerOutcome
  /** gRPC status name: OK, DEADLINE_EXCEEDED, ALREADY_EXISTS, … */
  code: string
  /** The sum answered (outcome ok only). */
  sum?: string
  /** Whether the answer was a replay of an earlier attempt (outcome ok only). */
  replayed?: boolean
  /** 1 for the first send of this request id, 2 for the first retry, … */
  attempt: number
  /** When the attempt was due to be sent (ISO 8601): latency counts from here. */
  scheduledAt: string
  latencyMs: number
}

const writesNothing = new Set<number>([
  status.INVALID_ARGUMENT,
  status.OUT_OF_RANGE,
  status.ALREADY_EXISTS,
  status.FAILED_PRECONDITION,
])

/** What a gRPC status tells a client about whether its Add was recorded. */
export function outcomeOf(code: status): LedgerOutcome {
  if (code === status.OK) return LedgerOutcomes.OK
  return writesNothing.has(code) ? LedgerOutcomes.REJECTED : LedgerOutcomes.UNKNOWN
}

/** Appends entries as JSON lines through one buffered stream. */
export class LedgerWriter {
  readonly #stream: WriteStream
  #count = 0
  /** One wait shared by every writer that hit backpressure, not one listener each. */
  #drained: Promise<void> | undefined

  constructor(file: string) {
    this.#stream = createWriteStream(file, { flags: 'a' })
  }

  get count(): number {
    return this.#count
  }

  async record(entry: LedgerEntry): Promise<void> {
    this.#count++
    if (this.#stream.write(`${JSON.stringify(entry)}\n`)) return
    this.#drained ??= once(this.#stream, 'drain').then(() => {
      this.#drained = undefined
    })
    await this.#drained
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    )
  }
}

/** Reads a ledger line by line; a torn last line (a killed writer) is skipped, not fatal. */
export async function* readLedger(file: string): AsyncGenerator<LedgerEntry> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  for await (const line of lines) {
    if (line.trim() === '') continue
    let entry: LedgerEntry
    try {
      entry = JSON.parse(line) as LedgerEntry
    } catch {
      continue
    }
    if (entry.v === 1 && typeof entry.requestId === 'string') yield entry
  }
}
