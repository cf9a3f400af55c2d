import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BenchResults } from './bench-results.ts'
import { staleAnalysis, writePerformanceDoc } from './performance-doc.ts'

/**
 * Re-renders docs/PERFORMANCE.md and its chart from a results file, without
 * running the bench again: after editing bench/what-limits-each-target.md or
 * bench/running-the-bench.md, from the committed run; or to make another run
 * under results/ the one the page shows (it is copied to docs/performance-run.json).
 *
 * Usage: node bench/write-doc.ts docs/performance-run.json
 */
const file = process.argv[2]
if (file === undefined) {
  console.error('usage: node bench/write-doc.ts docs/performance-run.json (or results/bench-….json)')
  process.exit(2)
}
const root = fileURLToPath(new URL('../', import.meta.url))
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults
console.log(`wrote ${(await writePerformanceDoc(root, results)).join(', ')}`)
const stale = await staleAnalysis(root, results)
if (stale !== undefined) console.log(stale)
