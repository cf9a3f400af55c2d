import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, stat, truncate } from 'node:fs/promises'
import path from 'node:path'
import type { AuditLine } from '../shared/audit/audit-line.ts'

/** How much of the file repairTail reads at a time, walking back from the end. */
const tailBytes = 64 * 1024
const newline = 0x0a

/**
 * Append-only JSON-lines log of applied events (`audit.jsonl`), written after
 * each committed batch and not synced. A crash can leave it behind the
 * database (the batch committed, the append did not reach the disk) or with a
 * torn or zero-filled tail; open() repairs both: it cuts the tail back to the
 * last complete line and reports that line's `seq`, from which the caller
 * appends what the database applied since.
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

/**
 * Truncates a torn last line and returns the last complete line's seq. Walks
 * back a chunk at a time: after a power cut the unsynced tail may be a torn
 * line or a run of zero bytes longer than one chunk, and cutting inside the
 * good lines would lose the seq and append the whole history again.
 */
async function repairTail(file: string): Promise<string> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    return '0'
  }
  if (size === 0) return '0'
  const handle = await open(file, 'r')
  let lastNewline = -1
  let seq = '0'
  try {
    lastNewline = await lastIndexOfNewline(handle, size)
    if (lastNewline >= 0) {
      for await (const text of linesBackwards(handle, lastNewline)) {
        if (text.length === 0) continue
        try {
          const parsed = JSON.parse(text) as Partial<AuditLine>
          if (typeof parsed.seq === 'string') {
            seq = parsed.seq
            break
          }
        } catch {
          // A corrupt line in the middle is kept (append-only) but not trusted.
        }
      }
    }
  } finally {
    await handle.close()
  }
  // Drop the torn part so the file stays valid JSON lines (all of it when no line is complete).
  if (lastNewline !== size - 1) await truncate(file, lastNewline + 1)
  return seq
}

/**
 * Position of the file's last newline byte, or -1. A scan of its own rather
 * than the first step of linesBackwards: a long torn tail is skipped here
 * without being gathered into a buffer.
 */
async function lastIndexOfNewline(handle: FileHandle, size: number): Promise<number> {
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - tailBytes)
    const chunk = Buffer.alloc(end - start)
    await handle.read(chunk, 0, chunk.length, start)
    const index = chunk.lastIndexOf(newline)
    if (index >= 0) return start + index
    end = start
  }
  return -1
}

/** The lines before byte `end` (a newline's position), last first. */
async function* linesBackwards(handle: FileHandle, end: number): AsyncGenerator<string> {
  // The beginning of a line whose start lies in an earlier chunk.
  let rest = Buffer.alloc(0)
  for (let chunkEnd = end; chunkEnd > 0; ) {
    const start = Math.max(0, chunkEnd - tailBytes)
    const chunk = Buffer.alloc(chunkEnd - start)
    await handle.read(chunk, 0, chunk.length, start)
    const buffer = Buffer.concat([chunk, rest])
    let lineEnd = buffer.length
    for (let i = chunk.length - 1; i >= 0; i--) {
      if (buffer[i] !== newline) continue
      yield buffer.subarray(i + 1, lineEnd).toString('utf8')
      lineEnd = i
    }
    rest = buffer.subarray(0, lineEnd)
    chunkEnd = start
  }
  yield rest.toString('utf8')
}
