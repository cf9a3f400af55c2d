import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, stat, truncate } from 'node:fs/promises'
import path from 'node:path'
import type { AppliedEvent } from './db/apply-batch.ts'

/** One line of the audit log: an applied event, for offline processing. */
export interface AuditLine {
  seq: string
  eventId: string
  requestId: string
  topic: string
  partition: number
  offset: string
  sum: string
  acceptedAt: string
  appliedAt: string
}

const tailBytes = 64 * 1024

/**
 * Append-only JSON-lines log of applied events (`audit.jsonl`), written after
 * each committed batch. A crash can leave it behind the database (the batch
 * committed, the append did not happen) or with a torn last line; open()
 * repairs both: it cuts a torn line and reports the last complete `seq`, from
 * which the caller appends what the database applied since.
 *
 * Exact with one aggregator per data directory, the default deployment.
 */
export class AuditLog {
  readonly #file: string
  #handle: FileHandle | undefined

  constructor(dataDir: string, name = 'audit.jsonl') {
    this.#file = path.join(dataDir, name)
  }

  get path(): string {
    return this.#file
  }

  /** Opens for appending; returns the seq of the last complete line ('0' when empty). */
  async open(): Promise<string> {
    await mkdir(path.dirname(this.#file), { recursive: true })
    const lastSeq = await repairTail(this.#file)
    this.#handle = await open(this.#file, 'a')
    return lastSeq
  }

  async append(lines: AuditLine[]): Promise<void> {
    if (lines.length === 0) return
    if (this.#handle === undefined) throw new Error('audit log is not open')
    // Not synced per batch: after a crash, open() appends from the database
    // whatever the file lacks, so a sync would buy nothing but a disk flush.
    await this.#handle.write(lines.map((line) => `${JSON.stringify(line)}\n`).join(''))
  }

  async close(): Promise<void> {
    await this.#handle?.close()
    this.#handle = undefined
  }
}

export function toAuditLine(topic: string, event: AppliedEvent): AuditLine {
  return {
    seq: event.seq,
    eventId: event.eventId,
    requestId: event.requestId,
    topic,
    partition: event.partition,
    offset: event.offset,
    sum: event.sum,
    acceptedAt: event.acceptedAt.toISOString(),
    appliedAt: event.appliedAt.toISOString(),
  }
}

/** Truncates a torn last line and returns the last complete line's seq. */
async function repairTail(file: string): Promise<string> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    return '0'
  }
  if (size === 0) return '0'
  const handle = await open(file, 'r')
  let text: string
  const start = Math.max(0, size - tailBytes)
  try {
    const buffer = Buffer.alloc(size - start)
    await handle.read(buffer, 0, buffer.length, start)
    text = buffer.toString('utf8')
  } finally {
    await handle.close()
  }
  const lastNewline = text.lastIndexOf('\n')
  if (lastNewline !== text.length - 1) {
    // A torn write: drop the partial line so the file stays valid JSON lines.
    await truncate(file, start + Buffer.byteLength(text.slice(0, lastNewline + 1)))
  }
  const lines = text
    .slice(0, lastNewline + 1)
    .split('\n')
    .filter(Boolean)
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const parsed = JSON.parse(lines[i]!) as Partial<AuditLine>
      if (typeof parsed.seq === 'string') return parsed.seq
    } catch {
      // A corrupt line in the middle is kept (append-only) but not trusted.
    }
  }
  return '0'
}
