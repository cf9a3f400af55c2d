import type { Step } from './bench-results.ts'

const width = 720
const height = 420
const margin = { left: 70, right: 150, top: 30, bottom: 50 }
const colors: Record<string, string> = { bare: '#1f77b4', summa: '#d62728' }

/**
 * Throughput vs p99 as an SVG drawn from the results: offered rate on x,
 * Add p99 on a log y axis, one line per target, the 50 ms limit dashed.
 */
export function renderChart(steps: Step[], p99LimitMs: number): string {
  const maxRate = Math.max(...steps.map((step) => step.rate), 1000)
  const minLog = 0 // 1 ms
  const maxLog = Math.max(2, Math.ceil(Math.log10(Math.max(...steps.map((step) => step.latency.p99Ms), 100))))
  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom
  const x = (rate: number): number => margin.left + (rate / maxRate) * plotW
  const y = (ms: number): number =>
    margin.top + plotH - ((Math.log10(Math.max(1, ms)) - minLog) / (maxLog - minLog)) * plotH
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="18" font-size="14">Add p99 latency vs offered arrival rate (open model)</text>`,
  ]
  for (let power = minLog; power <= maxLog; power++) {
    const ms = 10 ** power
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(ms)}" y2="${y(ms)}" stroke="#ddd"/>`,
      `<text x="${margin.left - 8}" y="${y(ms) + 4}" text-anchor="end">${ms} ms</text>`,
    )
  }
  const tick = maxRate <= 4000 ? 500 : 1000
  for (let rate = 0; rate <= maxRate; rate += tick) {
    parts.push(
      `<line x1="${x(rate)}" x2="${x(rate)}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${x(rate)}" y="${margin.top + plotH + 18}" text-anchor="middle">${rate}</text>`,
    )
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">offered Add rate (requests/s)</text>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(p99LimitMs)}" y2="${y(p99LimitMs)}" stroke="#888" stroke-dasharray="6 4"/>`,
    `<text x="${margin.left + plotW + 6}" y="${y(p99LimitMs) + 4}">p99 limit ${p99LimitMs} ms</text>`,
  )
  let legendY = margin.top + 10
  for (const target of ['bare', 'summa']) {
    const points = bestPerRate(steps.filter((step) => step.target === target))
    if (points.length === 0) continue
    const color = colors[target] ?? '#000'
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((step) => `${x(step.rate).toFixed(1)},${y(step.latency.p99Ms).toFixed(1)}`).join(' ')}"/>`,
    )
    for (const step of points)
      parts.push(
        `<circle cx="${x(step.rate).toFixed(1)}" cy="${y(step.latency.p99Ms).toFixed(1)}" r="3.5" fill="${step.passed ? color : 'white'}" stroke="${color}"/>`,
      )
    parts.push(
      `<line x1="${margin.left + plotW + 10}" x2="${margin.left + plotW + 30}" y1="${legendY + 20}" y2="${legendY + 20}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${margin.left + plotW + 36}" y="${legendY + 24}">${target === 'bare' ? 'bare grpc-js' : 'summa'}</text>`,
    )
    legendY += 20
  }
  parts.push(
    `<text x="${margin.left + plotW + 10}" y="${legendY + 44}" fill="#555">hollow: step failed</text>`,
    '</svg>',
  )
  return `${parts.join('\n')}\n`
}

/** One point per rate: the last attempt (a failed step is retried once). */
function bestPerRate(steps: Step[]): Step[] {
  const byRate = new Map<number, Step>()
  for (const step of steps) byRate.set(step.rate, step)
  return [...byRate.values()].sort((a, b) => a.rate - b.rate)
}
