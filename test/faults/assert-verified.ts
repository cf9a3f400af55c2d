import assert from 'node:assert/strict'
import type { VerifyReport } from '../../src/verify/compare.ts'

/** What every fault scenario must end with: nothing lost, duplicated or phantom, and the total right. */
export function assertVerified(report: VerifyReport): void {
  assert.deepEqual(
    {
      lost: report.lost,
      duplicated: report.duplicated,
      phantom: report.phantom,
      total: report.totalMatches,
    },
    { lost: 0, duplicated: 0, phantom: 0, total: true },
    JSON.stringify(report),
  )
}
