import assert from 'node:assert/strict'
import type { RawProducer } from '../shared/kafka.ts'
import { eventHeaders } from '../shared/sum-event.ts'

// Test doubles for outbox-relay.spec.ts (kept out of dist/ by tsconfig.build.json): an
// in-memory outbox with PostgreSQL's row locks and rollback, a producer the test can fail or
// hold, and a clock whose waits end only when the test says so.

/**
 * The outbox and its relay cursor: the cursor row is locked by one transaction
 * at a time (SKIP LOCKED: others see none), and moving it applies on commit.
 * Every row added is committed; while holdBack() lasts, those added after it
 * wait behind the watermark, as behind an older transaction still running.
 */
export class FakeOutbox {
  readonly rows: Array<{ id: string; eventId: string }> = []
  transactions = 0
  /** The id of the last row published: rows are read in id order after it. */
  cursor = 0
  #cursorLocked = false
  #nextId = 1
  /** Rows from this id on are held back; undefined when none is. */
  #watermark: number | undefined

  holdBack(): void {
    this.#watermark = this.#nextId
  }

  /** The transaction holding the rows back ended (and sent no NOTIFY). */
  endHold(): void {
    this.#watermark = undefined
  }

  add(count: number): void {
    for (let i = 0; i < count; i++) {
      const id = String(this.#nextId++)
      this.rows.push({ id, eventId: `event-${id}` })
    }
  }

  get pending(): number {
    return this.rows.filter((row) => Number(row.id) > this.cursor).length
  }

  /** A pool whose reserved connections run the statements a relay pass sends. */
  readonly sql = {
    reserve: async () => {
      let locked = false
      let moved: number | undefined
      const failed = false
      const run = (text: string, values: unknown[]): unknown[] => {
        if (text.startsWith('begin')) {
          this.transactions++
          return []
        }
        if (text.startsWith('commit') || text.startsWith('rollback')) {
          if (text.startsWith('commit') && !failed && moved !== undefined) this.cursor = moved
          if (locked) this.#cursorLocked = false
          locked = false
          moved = undefined
          return []
        }
        if (text.includes('from relay_cursor')) {
          if (this.#cursorLocked) return []
          this.#cursorLocked = locked = true
          const heldBack = this.#watermark !== undefined && this.#nextId > this.#watermark
          const cursor = {
            cursor_transaction_id: '5',
            cursor_outbox_id: String(this.cursor),
            held_back: heldBack,
          }
          const rows = this.#rowsAfter(this.cursor, values[0] as number)
          return rows.length === 0 ? [{ ...cursor, id: null }] : rows.map((row) => ({ ...cursor, ...row }))
        }
        if (text.includes('from outbox')) return this.#rowsAfter(Number(values[1]), values[2] as number)
        moved = Number(values[1])
        return []
      }
      const statement = (strings: TemplateStringsArray, ...values: unknown[]) => {
        const result = Promise.resolve().then(() => run(strings.join('?').trim(), values))
        return Object.assign(result, { execute: () => result })
      }
      return Object.assign(statement, { release: () => {} })
    },
  }

  /** Rows after id `after`, as the statements return them. */
  #rowsAfter(after: number, limit: number) {
    const watermark = this.#watermark ?? Number.POSITIVE_INFINITY
    const rows = this.rows
      .filter((row) => Number(row.id) > after && Number(row.id) < watermark)
      .slice(0, limit)
      .map((row) => ({
        id: row.id,
        transaction_id: '5',
        event_id: row.eventId,
        message_key: `key-${row.id}`,
        payload: `{"id":${row.id}}`,
        traceparent: row.id === '1' ? '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' : null,
        signature: row.id === '1' ? 'v1=abc' : null,
      }))
    return rows
  }
}

export type Message = Parameters<RawProducer['send']>[0]['messages'][number]

/** Records each send; can fail the next sends, or hold them until released. */
export class FakeProducer {
  readonly batches: Message[][] = []
  /** What the next sends do, in order: throw the error, or (undefined) succeed. */
  failures: Array<Error | undefined> = []
  inFlight = 0
  peakInFlight = 0
  #held: Array<() => void> | undefined

  hold(): void {
    this.#held = []
  }

  release(): void {
    const held = this.#held ?? []
    this.#held = undefined
    for (const resume of held) resume()
  }

  get heldSends(): number {
    return this.#held?.length ?? 0
  }

  readonly send = async ({ messages }: { messages: Message[] }): Promise<unknown> => {
    this.inFlight++
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight)
    try {
      const held = this.#held
      if (held !== undefined) await new Promise<void>((resume) => held.push(resume))
      else await new Promise((resolve) => setImmediate(resolve)) // a broker answers later, not at once
      const failure = this.failures.shift()
      if (failure !== undefined) throw failure
      this.batches.push(messages)
      return {}
    } finally {
      this.inFlight--
    }
  }

  eventIds(): string[][] {
    return this.batches.map((batch) => batch.map((message) => headersOf(message)[eventHeaders.eventId]!))
  }
}

/** A message's headers as strings (the relay keys them by Buffer). */
export function headersOf(message: Message | undefined): Record<string, string> {
  const headers = (message?.headers ?? new Map()) as Map<Buffer, Buffer>
  return Object.fromEntries([...headers].map(([key, value]) => [String(key), String(value)]))
}

/** Every wait of the loop is recorded and ends only by `end()` or by the stop signal. */
export class FakeClock {
  readonly waits: Array<{ ms: number; end: () => void }> = []

  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const wait = {
        ms,
        end: () => {
          this.waits.splice(this.waits.indexOf(wait), 1)
          signal.removeEventListener('abort', wait.end)
          resolve()
        },
      }
      signal.addEventListener('abort', wait.end, { once: true })
      this.waits.push(wait)
    })

  /** The one wait the loop is in, once it is in one. */
  async waiting(): Promise<{ ms: number; end: () => void }> {
    await until(() => this.waits.length > 0)
    assert.equal(this.waits.length, 1)
    return this.waits[0]!
  }
}

/** Lets the loop's promises run until `condition` holds (no timers involved). */
export async function until(condition: () => boolean): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 10_000) throw new Error('condition never held')
    await new Promise((resolve) => setImmediate(resolve))
  }
}
