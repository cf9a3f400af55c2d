import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { runFiles } from './bench-results.ts'
import { renderPerformanceDoc, staleAnalysis } from './performance-doc.ts'
import { benchMinutes, runSetOf } from './run-set.ts'

// The committed runs, the page rendered from them and the docs that quote them must agree: new runs
// (or an edited section) committed without the rest fail here.
const root = fileURLToPath(new URL('../', import.meta.url))
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8')
const set = runSetOf(JSON.parse(read(runFiles.cited)), runFiles.cited)
const rerender = `run node bench/write-doc.ts ${runFiles.cited}`

describe('the committed bench runs and docs/PERFORMANCE.md', () => {
  it(`the page and its chart are what \`node bench/write-doc.ts ${runFiles.cited}\` writes`, async () => {
    const { doc, chart } = await renderPerformanceDoc(root, set)
    assert.equal(read('docs/PERFORMANCE.md'), doc, rerender)
    assert.equal(read('docs/performance-chart.svg'), chart, rerender)
  })

  it('"What limits each target" was written against these runs', async () => {
    assert.equal(await staleAnalysis(root, set), undefined)
  })

  it('every doc gives make bench the duration of these runs, and only that one', () => {
    const minutes = benchMinutes(set)
    for (const file of ['Makefile', 'README.md', 'CONTRIBUTING.md', 'bench/running-the-bench.md']) {
      const durations = benchDurations(read(file))
      assert.notEqual(durations.length, 0, `${file} gives no duration for make bench`)
      for (const duration of durations)
        assert.equal(duration, minutes, `${file} should say about ${minutes} minutes for make bench`)
    }
  })
})

/** The durations ("about N minutes", "~N min") a text gives right after a mention of `make bench`. */
function benchDurations(text: string): number[] {
  const durations: number[] = []
  for (const mention of text.matchAll(/make bench(?![-\w])/g)) {
    const after = text.slice(mention.index + mention[0].length, mention.index + 400)
    // Up to the next make target, so that another target's duration is not taken for this one's.
    const next = after.search(/make [a-z]/)
    const duration = (next === -1 ? after : after.slice(0, next)).match(/(?:about |~)(\d+) min/)
    if (duration !== null) durations.push(Number(duration[1]))
  }
  return durations
}
