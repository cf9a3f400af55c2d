import { type LedgerEntry, LedgerOutcomes } from '../shared/ledger.ts'

/**
 * What the verifier compares, gathered from the client side (the ledger) and
 * the aggregator side (PostgreSQL and audit.jsonl). Kept as plain data so the
 * comparison itself is a pure function with unit tests.
 */
export interface AppliedSide {
  /**
   * applied_events rows of the topic by request id → the sum of each applied
   * event. An accepted request has exactly one event, so more than one entry
   * means the request was applied twice (under distinct event ids).
   */
  applied: Map<string, bigint[]>
  /** Request ids the calculator committed (add_requests), among those the ledger names. */
  committed: Set<string>
  /** sum(partition_totals.subtotal) of the topic: the total GET /total serves. */
  total: bigint
  /** sum(partition_totals.applied_count): how many events the subtotals claim to hold. */
  appliedCount: bigint
  /** How many times each event id appears in audit.jsonl, or undefined when there is no audit log. */
  auditCounts: Map<string, number> | undefined
}

export interface VerifyReport {
  ok: boolean
  requests: number
  attempts: number
  /** Attempts after the first for the same id (client retries and deliberate duplicates). */
  duplicateSends: number
  acknowledged: number
  /** Never answered with a sum, but committed by the calculator: must be applied once. */
  unknownCommitted: number
  /** Never answered and never committed: must not be applied. */
  unknownNotCommitted: number
  rejected: number
  /** Acknowledged (or committed) and never applied. */
  lost: number
  /** Applied more than once (audit log repeats, or subtotals counting more events than recorded). */
  duplicated: number
  /** Applied, but never requested, or only ever rejected, or applied with a sum nobody was told. */
  phantom: number
  expectedTotal: string
  total: string
  appliedSum: string
  /** total = Σ acknowledged + Σ committed-but-unanswered, and = Σ applied_events. */
  totalMatches: boolean
  /** A few offending ids per anomaly, for a human to follow up. */
  examples: { lost: string[]; duplicated: string[]; phantom: string[] }
}

interface Requested {
  sum: bigint
  acknowledged: boolean
  unknown: boolean
  rejectedOnly: boolean
}

const exampleCount = 5

/** The client's view: one entry per request id, folding every attempt. */
export function foldLedger(entries: Iterable<LedgerEntry>): {
  requests: Map<string, Requested>
  attempts: number
  duplicateSends: number
} {
  const requests = new Map<string, Requested>()
  let attempts = 0
  let duplicateSends = 0
  for (const entry of entries) {
    attempts++
    const known = requests.get(entry.requestId)
    if (known !== undefined) duplicateSends++
    const request = known ?? {
      sum: BigInt(entry.num1) + BigInt(entry.num2),
      acknowledged: false,
      unknown: false,
      rejectedOnly: true,
    }
    if (entry.outcome === LedgerOutcomes.OK) request.acknowledged = true
    if (entry.outcome === LedgerOutcomes.UNKNOWN) request.unknown = true
    if (entry.outcome !== LedgerOutcomes.REJECTED) request.rejectedOnly = false
    requests.set(entry.requestId, request)
  }
  return { requests, attempts, duplicateSends }
}

export function compare(ledger: ReturnType<typeof foldLedger>, side: AppliedSide): VerifyReport {
  const lost: string[] = []
  const phantom: string[] = []
  const duplicated: string[] = []
  let acknowledged = 0
  let unknownCommitted = 0
  let unknownNotCommitted = 0
  let rejected = 0
  let expectedTotal = 0n
  for (const [id, request] of ledger.requests) {
    const mustApply = request.acknowledged || (!request.rejectedOnly && side.committed.has(id))
    if (request.acknowledged) acknowledged++
    else if (request.rejectedOnly) rejected++
    else if (side.committed.has(id)) unknownCommitted++
    else unknownNotCommitted++
    const sums = side.applied.get(id)
    const applied = sums?.[0]
    if (sums !== undefined && sums.length > 1) duplicated.push(id)
    if (mustApply) {
      expectedTotal += request.sum
      if (applied === undefined) lost.push(id)
      else if (applied !== request.sum) phantom.push(id)
    } else if (applied !== undefined) {
      phantom.push(id)
    }
  }
  let appliedSum = 0n
  let appliedRows = 0
  for (const [id, sums] of side.applied) {
    for (const sum of sums) appliedSum += sum
    appliedRows += sums.length
    if (!ledger.requests.has(id)) phantom.push(id)
  }
  for (const [id, count] of side.auditCounts ?? []) if (count > 1) duplicated.push(id)
  // applied_events cannot hold an event id twice (primary key), but the subtotals
  // are updated separately: counting more events than rows means something was added twice.
  const overCounted = Number(side.appliedCount - BigInt(appliedRows))
  const duplicatedCount = duplicated.length + Math.max(0, overCounted)
  const totalMatches = side.total === expectedTotal && side.total === appliedSum
  return {
    ok: lost.length === 0 && duplicatedCount === 0 && phantom.length === 0 && totalMatches,
    requests: ledger.requests.size,
    attempts: ledger.attempts,
    duplicateSends: ledger.duplicateSends,
    acknowledged,
    unknownCommitted,
    unknownNotCommitted,
    rejected,
    lost: lost.length,
    duplicated: duplicatedCount,
    phantom: phantom.length,
    expectedTotal: expectedTotal.toString(),
    total: side.total.toString(),
    appliedSum: appliedSum.toString(),
    totalMatches,
    examples: {
      lost: lost.slice(0, exampleCount),
      duplicated: duplicated.slice(0, exampleCount),
      phantom: phantom.slice(0, exampleCount),
    },
  }
}
