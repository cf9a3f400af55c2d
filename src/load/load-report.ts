import type { LatencySummary } from './latency-histogram.ts'
import type { LoadModel, Thresholds } from './load-options.ts'
import type { OperationStats, TimelinePoint } from './load-stats.ts'

export interface ThresholdResult {
  name: string
  limit: number
  actual: number
  passed: boolean
}

export interface LoadReport {
  v: 1
  model: LoadModel
  startedAt: string
  /** From the first scheduled send to the last answer. */
  durationS: number
  /** Requests that were due, answered or not (open model: the offered load). */
  requests: number
  ok: number
  errors: number
  errorRate: number
  /** Successful answers per second over durationS. */
  throughputPerS: number
  latency: LatencySummary
  byOperation: Partial<Record<string, OperationStats>>
  errorsByCode: Record<string, number>
  /** Add answered → the probe's effect visible in GET /total (with --e2e-probe). */
  endToEnd?: { probes: number; failed: number; latency: LatencySummary }
  ledger?: { file: string; entries: number }
  thresholds: ThresholdResult[]
  passed: boolean
  timeline: TimelinePoint[]
}

export function evaluateThresholds(
  thresholds: Thresholds,
  report: Pick<LoadReport, 'errorRate' | 'latency'>,
): ThresholdResult[] {
  const results: ThresholdResult[] = []
  const check = (name: string, limit: number | undefined, actual: number): void => {
    if (limit !== undefined) results.push({ name, limit, actual, passed: actual <= limit })
  }
  check('error_rate', thresholds.maxErrorRate, report.errorRate)
  check('p95_ms', thresholds.maxP95Ms, report.latency.p95Ms)
  check('p99_ms', thresholds.maxP99Ms, report.latency.p99Ms)
  return results
}

export function formatReport(report: LoadReport): string {
  const lines = [
    `summa load: ${report.model} model, ${report.durationS.toFixed(1)} s, ${report.requests} requests, ` +
      `${report.ok} ok, ${report.errors} errors (${(report.errorRate * 100).toFixed(3)} %), ` +
      `${report.throughputPerS.toFixed(1)} ok/s`,
    '',
    `${'operation'.padEnd(10)}${'requests'.padStart(10)}${'errors'.padStart(8)}` +
      ['p50', 'p90', 'p99', 'p99.9', 'max'].map((name) => `${name} ms`.padStart(11)).join(''),
    latencyRow('all', report.requests, report.errors, report.latency),
  ]
  for (const [name, stats] of Object.entries(report.byOperation)) {
    if (stats !== undefined) lines.push(latencyRow(name, stats.requests, stats.errors, stats.latency))
  }
  if (report.endToEnd !== undefined) {
    const e2e = report.endToEnd
    lines.push(latencyRow('e2e', e2e.probes, e2e.failed, e2e.latency))
  }
  const codes = Object.entries(report.errorsByCode)
  if (codes.length > 0)
    lines.push('', `errors by code: ${codes.map(([code, n]) => `${code}=${n}`).join(' ')}`)
  if (report.ledger !== undefined)
    lines.push(`ledger: ${report.ledger.entries} entries in ${report.ledger.file}`)
  for (const threshold of report.thresholds) {
    lines.push(
      `threshold ${threshold.name} <= ${threshold.limit}: ${threshold.actual} ${threshold.passed ? 'passed' : 'BREACHED'}`,
    )
  }
  return lines.join('\n')
}

function latencyRow(name: string, requests: number, errors: number, latency: LatencySummary): string {
  const cells = [latency.p50Ms, latency.p90Ms, latency.p99Ms, latency.p999Ms, latency.maxMs]
  return (
    name.padEnd(10) +
    String(requests).padStart(10) +
    String(errors).padStart(8) +
    cells.map((ms) => ms.toFixed(2).padStart(11)).join('')
  )
}
