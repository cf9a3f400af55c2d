import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { baselineRun, threeRuns } from './bench-results.fakes.ts'
import { runJson } from './bench-results.ts'
import { benchMinutes, readRunSet, runSetName, runSetOf } from './run-set.ts'

describe('a set of bench runs', () => {
  it('reads a single run, as make bench wrote it before it made several, as a set of one', () => {
    const run = baselineRun()
    assert.deepEqual(runSetOf(run), { runs: [run] })
    const set = threeRuns()
    assert.equal(runSetOf(set), set)
    assert.throws(() => runSetOf({ steps: 'no' }, 'x.json'), /x\.json holds neither one bench run nor a set/)
  })

  it('makes one set of several files, sets and single runs alike, in the order given', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'summa-run-set-'))
    const [first, second, third] = threeRuns().runs
    writeFileSync(path.join(dir, 'one.json'), runJson(first!))
    writeFileSync(path.join(dir, 'two.json'), runJson({ runs: [second!, third!] }))
    const set = readRunSet([path.join(dir, 'one.json'), path.join(dir, 'two.json')])
    assert.deepEqual(
      set.runs.map((run) => run.startedAt),
      [first!.startedAt, second!.startedAt, third!.startedAt],
    )
    assert.throws(() => readRunSet([]), /no bench run given/)
  })

  it("is named by its first run's start", () => {
    assert.equal(runSetName(threeRuns()), '2026-11-29T00:50:42.620Z')
  })

  it("gives make bench's duration: first start to last end, scaled to three runs for a set of another size", () => {
    // Three runs 10 minutes apart, the last one 7.2 minutes long: 27.2 minutes in all.
    assert.equal(benchMinutes(threeRuns()), 27)
    // One run of 7.2 minutes: three would take 21.5.
    assert.equal(benchMinutes({ runs: [baselineRun()] }), 22)
  })
})
