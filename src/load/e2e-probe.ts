import { randomUUID } from 'node:crypto'
import { sleep } from '../shared/sleep.ts'
import { type AddTraffic, probeModulus } from './add-traffic.ts'
import { LatencyHistogram } from './latency-histogram.ts'
import type { LoadStats } from './load-stats.ts'
import type { LoadTargets } from './load-targets.ts'

const pollIntervalMs = 5
const probeTimeoutMs = 10_000
const pauseBetweenProbesMs = 50

/**
 * Measures Add answered → visible in GET /total, from the client's side. The
 * load's own Adds use multiples of 10^9, so the total modulo 10^9 moves only by
 * probes; one probe at a time adds 1 and GET /total is polled until the residue
 * shows it. Polls count as `total` requests in the run's statistics, which is
 * how a run measures GET /total while Adds flow.
 */
export async function runEndToEndProbe(options: {
  targets: LoadTargets
  traffic: AddTraffic
  stats: LoadStats
  signal: AbortSignal
}): Promise<{ probes: number; failed: number; latency: LatencyHistogram }> {
  const { targets, traffic, stats, signal } = options
  const latency = new LatencyHistogram()
  let failed = 0
  const readResidue = async (): Promise<bigint | undefined> => {
    const started = performance.now()
    stats.markSent()
    const result = await targets.getJson('/total', 2000)
    stats.record('total', result.code, performance.now() - started)
    if (result.code !== 'OK') return undefined
    const total = BigInt((result.value as { total: string }).total)
    return ((total % probeModulus) + probeModulus) % probeModulus
  }
  let expected = await readResidue()
  while (expected === undefined && !signal.aborted) {
    await sleep(100, signal)
    expected = await readResidue()
  }
  while (!signal.aborted && expected !== undefined) {
    const sent = await traffic.send({ requestId: randomUUID(), num1: '1', num2: '0' }, performance.now())
    if (sent.code !== 'OK') {
      // The probe's effect is unknown now, so the residue can no longer be predicted.
      failed++
      break
    }
    const answeredAt = performance.now()
    expected = (expected + 1n) % probeModulus
    let seen = false
    // A probe already answered is followed to the end even when the run is stopping.
    while (performance.now() - answeredAt < probeTimeoutMs) {
      if ((await readResidue()) === expected) {
        seen = true
        break
      }
      await sleep(pollIntervalMs)
    }
    if (!seen) {
      failed++
      break
    }
    latency.record(performance.now() - answeredAt)
    await sleep(pauseBetweenProbesMs, signal)
  }
  return { probes: latency.count + failed, failed, latency }
}
