import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LedgerEntry, LedgerOutcome } from '../shared/ledger.ts'
import { type AppliedSide, compare, foldLedger } from './compare.ts'

const ids = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'] as const
const [a, b] = ids

function entry(requestId: string, num1: number, outcome: LedgerOutcome, attempt = 1): LedgerEntry {
  return {
    v: 1,
    requestId,
    num1: String(num1),
    num2: '1',
    outcome,
    code: outcome === 'ok' ? 'OK' : outcome === 'rejected' ? 'ALREADY_EXISTS' : 'DEADLINE_EXCEEDED',
    attempt,
    scheduledAt: new Date(0).toISOString(),
    latencyMs: 1,
  }
}

function side(applied: Array<[string, bigint]>, overrides: Partial<AppliedSide> = {}): AppliedSide {
  const total = applied.reduce((sum, [, value]) => sum + value, 0n)
  return {
    applied: new Map(applied.map(([id, sum]) => [id, [sum]])),
    committed: new Set(applied.map(([id]) => id)),
    total,
    appliedCount: BigInt(applied.length),
    auditCounts: new Map(applied.map(([id]) => [id, 1])),
    ...overrides,
  }
}

describe('verify: compare', () => {
  it('passes when every acknowledged request is applied once, and counts retries', () => {
    const ledger = foldLedger([entry(a, 1, 'unknown'), entry(a, 1, 'ok', 2), entry(b, 4, 'ok')])
    const report = compare(
      ledger,
      side([
        [a, 2n],
        [b, 5n],
      ]),
    )
    assert.equal(report.ok, true, JSON.stringify(report))
    assert.deepEqual([report.requests, report.attempts, report.duplicateSends], [2, 3, 1])
    assert.equal(report.total, '7')
  })

  it('finds an acknowledged request that was never applied (lost)', () => {
    const report = compare(foldLedger([entry(a, 1, 'ok'), entry(b, 4, 'ok')]), side([[a, 2n]]))
    assert.deepEqual([report.ok, report.lost, report.examples.lost], [false, 1, [b]])
    assert.equal(report.totalMatches, false)
  })

  it('requires a committed request whose answer was lost to be applied, and counts it in the total', () => {
    const ledger = foldLedger([entry(a, 1, 'unknown')])
    assert.equal(compare(ledger, side([[a, 2n]])).ok, true)
    const notApplied = compare(ledger, side([], { committed: new Set([a]) }))
    assert.deepEqual([notApplied.ok, notApplied.lost, notApplied.unknownCommitted], [false, 1, 1])
  })

  it('finds double counting in the audit log and in the subtotals', () => {
    const ledger = foldLedger([entry(a, 1, 'ok')])
    const audit = compare(ledger, side([[a, 2n]], { auditCounts: new Map([[a, 2]]) }))
    assert.deepEqual([audit.ok, audit.duplicated], [false, 1])
    const subtotal = compare(ledger, side([[a, 2n]], { total: 4n, appliedCount: 2n }))
    assert.deepEqual([subtotal.ok, subtotal.duplicated, subtotal.totalMatches], [false, 1, false])
    // One request applied under two event ids (a re-accepted request, say).
    const twice = compare(
      ledger,
      side([[a, 2n]], { applied: new Map([[a, [2n, 2n]]]), total: 4n, appliedCount: 2n }),
    )
    assert.deepEqual([twice.ok, twice.duplicated, twice.examples.duplicated], [false, 1, [a]])
  })

  it('finds phantoms: never requested, only rejected, uncommitted, or applied with another sum', () => {
    const stranger = '00000000-0000-4000-8000-0000000000ff'
    assert.equal(compare(foldLedger([]), side([[stranger, 1n]])).phantom, 1)
    assert.equal(compare(foldLedger([entry(a, 1, 'rejected')]), side([[a, 2n]])).phantom, 1)
    assert.equal(
      compare(foldLedger([entry(a, 1, 'unknown')]), side([[a, 2n]], { committed: new Set() })).phantom,
      1,
    )
    assert.equal(compare(foldLedger([entry(a, 1, 'ok')]), side([[a, 3n]])).phantom, 1)
  })

  it('does not expect a request that was never committed', () => {
    const report = compare(foldLedger([entry(a, 1, 'unknown'), entry(b, 4, 'rejected')]), side([]))
    assert.deepEqual([report.ok, report.unknownNotCommitted, report.rejected], [true, 1, 1])
  })
})
