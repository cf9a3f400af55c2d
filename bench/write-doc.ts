import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type BenchResults, writePerformanceDoc } from './performance-doc.ts'

/**
 * Re-renders docs/PERFORMANCE.md and its chart from a results file, without
 * running the bench again (after editing bench/what-limits-each-target.md, say).
 *
 * Usage: node bench/write-doc.ts results/bench-….json
 */
const file = process.argv[2]
if (file === undefined) {
  console.error('usage: node bench/write-doc.ts results/bench-….json')
  process.exit(2)
}
const root = fileURLToPath(new URL('../', import.meta.url))
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults
console.log(`wrote ${(await writePerformanceDoc(root, results)).join(', ')}`)
