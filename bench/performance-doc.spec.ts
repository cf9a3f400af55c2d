import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { threeRuns } from './bench-results.fakes.ts'
import { renderPerformanceDoc, shownRun, staleAnalysis } from './performance-doc.ts'

const root = fileURLToPath(new URL('../', import.meta.url))
const lineOf = (doc: string, start: string): string =>
  doc.split('\n').find((line) => line.startsWith(start)) ?? `(no line starting ${start})`

describe('docs/PERFORMANCE.md over three runs', async () => {
  const set = threeRuns()
  const { doc } = await renderPerformanceDoc(root, set)

  it("gives every run's value of each target, their median, and meets a target only when every run does", () => {
    assert.match(
      lineOf(doc, '| 1 | sustained'),
      /\| 38 %, 63 %, 50 % \(median 50 %\) \| \*\*no\*\* \(1 of 3\) \|$/,
    )
    assert.match(
      lineOf(doc, '| 2 | CPU'),
      /\| 4\.4×, 4\.4×, 4\.4× \(median 4\.4×\) \| \*\*no\*\* \(0 of 3\) \|$/,
    )
    assert.match(
      lineOf(doc, '| 3 | end to end'),
      /\| 43\.2 ms, 24 ms, 43\.2 ms \(median 43\.2 ms\) \| \*\*no\*\* \(1 of 3\) \|$/,
    )
    assert.match(
      lineOf(doc, '| 4 | outage'),
      /\| 24,967\/s, 24,967\/s, 51,000\/s \(median 24,967\/s\) \| \*\*no\*\* \(1 of 3\) \|$/,
    )
  })

  it('meets a target that every run met', async () => {
    const met = threeRuns()
    for (const run of met.runs) run.endToEnd.endToEnd.latency.p99Ms = 20
    const { doc } = await renderPerformanceDoc(root, met)
    assert.match(
      lineOf(doc, '| 3 | end to end'),
      /\| 20 ms, 20 ms, 20 ms \(median 20 ms\) \| yes \(3 of 3\) \|$/,
    )
  })

  it('says which targets each run met, and shows the median run by target 1 in full', () => {
    assert.match(lineOf(doc, '| 1 | 38 % (summa 1500/s, bare 4000/s)'), /\| none \|$/)
    assert.match(lineOf(doc, '| 2 | 63 % (summa 2500/s, bare 4000/s)'), /\| 1, 3 \|$/)
    assert.match(lineOf(doc, '| 3 | 50 % (summa 2000/s, bare 4000/s)'), /\| 4 \|$/)
    assert.equal(shownRun(set), 2)
    assert.match(
      doc,
      /The chart and the tables below show run 3 of 3 in full \(started 2026-11-29T01:10:42\.620Z\), the median run by target 1/,
    )
    assert.match(doc, /## End to end at 750\/s/)
  })

  it('lists each run with its times and the cost table with a column per run', () => {
    assert.match(lineOf(doc, '| 2 | 2026-11-29T01:00:42.620Z → '), /\| 0\.1 s, 0 % of the cores' time \|$/)
    assert.match(
      lineOf(doc, '| component |'),
      /before, at 4000\/s \| run 1, at 4000\/s \| run 2, at 4000\/s \| run 3, at 4000\/s \| median of the runs \| what changed \|$/,
    )
    // The last column is bench/cost-changes.md's line for the component, whatever it says.
    assert.match(lineOf(doc, '| broker |'), /^\| broker \| 21 \| 21 \| 21 \| 21 \| 21 \| [^|]+ \|$/)
  })

  it('gives the duration of three runs as measured, not scaled', () => {
    assert.match(doc, /`make bench` \(about 27 minutes for its 3 runs;/)
    assert.doesNotMatch(doc, /This page shows/)
  })
})

describe('staleAnalysis', () => {
  // A root with only the analysis, naming a set by its first run's start.
  const rootNaming = (line: string): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'summa-stale-'))
    mkdirSync(path.join(dir, 'bench'))
    writeFileSync(path.join(dir, 'bench/what-limits-each-target.md'), `<!-- ${line} -->\n`)
    return dir
  }

  it('is quiet when the analysis names the set by its first run', async () => {
    const set = threeRuns()
    assert.equal(
      await staleAnalysis(rootNaming(`from the runs started ${set.runs[0]!.startedAt} (x)`), set),
      undefined,
    )
    // As it named a single run before sets: the same mechanism.
    assert.equal(
      await staleAnalysis(rootNaming(`from the run started ${set.runs[0]!.startedAt} (x)`), set),
      undefined,
    )
  })

  it('says so when the set starts with another run, even when a later run is the one named', async () => {
    const set = threeRuns()
    const stale = await staleAnalysis(rootNaming(`from the runs started ${set.runs[1]!.startedAt} (x)`), set)
    assert.match(
      stale ?? '',
      /written against the runs started 2026-11-29T01:00:42\.620Z, and these started 2026-11-29T00:50:42\.620Z/,
    )
    assert.match((await staleAnalysis(rootNaming('nothing named'), set)) ?? '', /\(none named\)/)
  })
})
