import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { baselineRun, oneStepRun, step, threeRuns } from './bench-results.fakes.ts'
import { costComponents, costPerAdd, costTable, parseCostChanges } from './cost-table.ts'

describe('what each Add costs', () => {
  it("divides each component's CPU seconds at target 2's rate by the Adds the step answered", () => {
    const cost = costPerAdd(baselineRun())!
    // At 4,000/s: 48,000 Adds; the calculator took 6.14 s and its backends 1.76 s.
    assert.equal(cost.rate, 4000)
    assert.equal(Math.round(cost.us.calculator * 10) / 10, 127.9)
    assert.equal(Math.round(cost.us["calculator's PostgreSQL backends"] * 10) / 10, 36.7)
    assert.equal(Math.round(cost.us.total * 10) / 10, 309.6)
    assert.equal(Math.round(cost.us['bare server'] * 10) / 10, 70.4)
  })

  it("leaves PostgreSQL's split out for a run recorded without it", () => {
    const summa = step('summa', 1000, { cpuS: { calculator: 6, postgres: 6 } })
    const cost = costPerAdd(oneStepRun(summa))!
    assert.equal(cost.us.calculator, 500)
    assert.ok(Number.isNaN(cost.us["relay's backends"]))
    assert.equal(cost.us.total, 1000)
  })

  it('gives before, each run at its own rate, their median and what changed', () => {
    const set = threeRuns()
    set.runs[1]!.steps.find((s) => s.target === 'summa' && s.rate === 4000)!.cpuS.calculator = 7.2
    const changes = parseCostChanges('calculator: one object fewer per call\ntotal: a | in the text')
    const table = costTable(baselineRun(), set.runs, changes)
    assert.equal(
      table[0],
      '| component | before, at 4000/s | run 1, at 4000/s | run 2, at 4000/s | run 3, at 4000/s | median of the runs | what changed |',
    )
    assert.equal(table.length, 2 + costComponents.length)
    // 7.2 s for 48,000 Adds is 150 µs.
    assert.equal(table[2], '| calculator | 128 | 128 | 150 | 128 | 128 | one object fewer per call |')
    assert.equal(table[3], "| calculator's PostgreSQL backends | 37 | 37 | 37 | 37 | 37 |  |")
    assert.match(table.find((row) => row.startsWith('| total'))!, /a \\\| in the text \|$/)
  })

  it('has no median column for a single run', () => {
    const table = costTable(undefined, [baselineRun()], new Map())
    assert.equal(table[0], '| component | before, at ? | run 1, at 4000/s | what changed |')
    assert.equal(table[2], '| calculator | ? | 128 |  |')
  })
})

describe('bench/cost-changes.md', () => {
  it('skips comments and refuses a line that names no component', () => {
    const changes = parseCostChanges('<!-- the `component: text` lines -->\n\nrelay: fewer rows rewritten\n')
    assert.deepEqual([...changes], [['relay', 'fewer rows rewritten']])
    assert.throws(() => parseCostChanges('relays: typo'), /"relays: typo" names no component/)
    assert.throws(() => parseCostChanges('no colon here'), /names no component/)
  })

  it('has one line for every component of the table, the committed file', () => {
    const text = readFileSync(new URL('cost-changes.md', import.meta.url), 'utf8')
    assert.deepEqual([...parseCostChanges(text).keys()], [...costComponents])
  })
})
