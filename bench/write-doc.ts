import { fileURLToPath } from 'node:url'
import { staleAnalysis, writePerformanceDoc } from './performance-doc.ts'
import { readRunSet } from './run-set.ts'

/**
 * Re-renders docs/PERFORMANCE.md and its chart from results files, without
 * running the bench again: after editing bench/what-limits-each-target.md,
 * bench/running-the-bench.md or bench/cost-changes.md, from the committed
 * set; or to make other runs the ones the page shows (they are copied, as one
 * set, to docs/performance-runs.json). Each file is a set of runs
 * (results/bench-runs-….json) or one run (results/bench-….json, or a run kept
 * from before `make bench` made several, such as docs/performance-baseline.json);
 * several files make one set, in the order given.
 *
 * Usage: node bench/write-doc.ts docs/performance-runs.json
 */
const files = process.argv.slice(2)
if (files.length === 0) {
  console.error(
    'usage: node bench/write-doc.ts docs/performance-runs.json (or results/bench-runs-….json, or results/bench-….json …)',
  )
  process.exit(2)
}
const root = fileURLToPath(new URL('../', import.meta.url))
const set = readRunSet(files)
console.log(`wrote ${(await writePerformanceDoc(root, set)).join(', ')}`)
const stale = await staleAnalysis(root, set)
if (stale !== undefined) console.log(stale)
