import { createReadStream } from 'node:fs'
import { access } from 'node:fs/promises'
import { createInterface } from 'node:readline'

/**
 * For the audit files that exist, how often each event id of `topic` appears
 * in the one file that repeats it most (undefined when none exists). Several
 * files may hold one event (each aggregator's also holds what it caught up
 * from the database); only a repeat within one file is a duplicate.
 */
export async function auditIdCounts(
  files: string[],
  topic: string,
): Promise<Map<string, number> | undefined> {
  let most: Map<string, number> | undefined
  for (const file of files) {
    const counts = await countAuditIds(file, topic)
    if (counts === undefined) continue
    most ??= new Map()
    for (const [id, count] of counts) most.set(id, Math.max(count, most.get(id) ?? 0))
  }
  return most
}

async function countAuditIds(file: string, topic: string): Promise<Map<string, number> | undefined> {
  try {
    await access(file)
  } catch {
    return undefined
  }
  const counts = new Map<string, number>()
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  for await (const line of lines) {
    if (line.trim() === '') continue
    let parsed: { eventId?: unknown; topic?: unknown }
    try {
      parsed = JSON.parse(line) as typeof parsed
    } catch {
      continue // a torn last line: the aggregator cuts it at its next start
    }
    if (typeof parsed.eventId !== 'string' || parsed.topic !== topic) continue
    counts.set(parsed.eventId, (counts.get(parsed.eventId) ?? 0) + 1)
  }
  return counts
}
