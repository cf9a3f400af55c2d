import { readFileSync } from 'node:fs'
import type { BenchResults, BenchRuns } from './bench-results.ts'
import { defaultBenchRuns } from './bench-settings.ts'

/**
 * One results file as a set of runs: a set as `make bench` writes it now, or
 * a single run as it wrote before it made several (and as each run is kept in
 * results/), which is a set of one.
 */
export function runSetOf(json: unknown, file = 'results file'): BenchRuns {
  if (typeof json === 'object' && json !== null) {
    if (Array.isArray((json as BenchRuns).runs)) return json as BenchRuns
    if (typeof (json as BenchResults).startedAt === 'string' && Array.isArray((json as BenchResults).steps))
      return { runs: [json as BenchResults] }
  }
  throw new Error(`${file} holds neither one bench run nor a set of them`)
}

/** The runs of every file, in the order given: `write-doc.ts` makes several kept runs one set. */
export function readRunSet(files: readonly string[]): BenchRuns {
  const runs = files.flatMap((file) => runSetOf(JSON.parse(readFileSync(file, 'utf8')), file).runs)
  if (runs.length === 0) throw new Error('no bench run given')
  return { runs }
}

/**
 * What names a set: its first run's start time. The hand-written analysis
 * names the set it was written against by it (bench/stale-analysis.ts).
 */
export function runSetName(set: BenchRuns): string {
  return set.runs[0]?.startedAt ?? '(none)'
}

/**
 * How long `make bench` takes, in whole minutes: the one duration the docs
 * give. From the first run's start to the last run's end, which counts the
 * stacks started and stopped between runs, scaled to the default number of
 * runs when the set holds another number (a set of one kept from before).
 */
export function benchMinutes(set: BenchRuns): number {
  const first = set.runs[0]
  const last = set.runs.at(-1)
  if (first === undefined || last === undefined) return 0
  const minutes = (Date.parse(last.finishedAt) - Date.parse(first.startedAt)) / 60_000
  return Math.round((minutes / set.runs.length) * defaultBenchRuns)
}
