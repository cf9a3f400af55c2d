import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * Writes the total to `sum.txt` atomically: a reader sees the old file or the
 * new one, never a torn one. The file is an output only: the database is the
 * truth, and the file is rewritten from it at start-up, so a missing or
 * corrupt file can never reset the total.
 *
 * Not fsynced: a power cut may leave an older or an empty file, which start-up
 * rewrites from the database anyway. Syncing the file and its directory after
 * every batch cost two disk flushes per batch for nothing.
 *
 * Writes are coalesced: at most one is in flight, and a request made meanwhile
 * is folded into one follow-up write of the newest value.
 */
export class SumFile {
  readonly #file: string
  #writing: Promise<void> | undefined
  #next: string | undefined

  constructor(dataDir: string, name = 'sum.txt') {
    this.#file = path.join(dataDir, name)
  }

  get path(): string {
    return this.#file
  }

  /** Schedules a write of `total`; resolves once a write at least this new has landed. */
  write(total: string): Promise<void> {
    this.#next = total
    this.#writing ??= this.#drain()
    return this.#writing
  }

  async #drain(): Promise<void> {
    try {
      let written: string | undefined
      while (this.#next !== undefined) {
        const value = this.#next
        this.#next = undefined
        // A request for the value just written (start-up awaits the total its
        // notification handler is already writing) needs no second write.
        if (value === written) continue
        await writeAtomically(this.#file, `${value}\n`)
        written = value
      }
    } finally {
      this.#writing = undefined
    }
  }
}

export async function writeAtomically(file: string, content: string): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true })
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`)
  await writeFile(temp, content)
  await rename(temp, file)
}
