import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createApiKey } from '../../src/shared/auth/api-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import { createTestSystem, startTestAggregator } from '../helpers/system.ts'

async function get(port: number, route: string, key?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(5000),
  })
  return { status: response.status, body: await response.text() }
}

describe("the aggregator's ops port", () => {
  it('serves health and metrics without a key on SUMMA_AGGREGATOR_OPS_PORT, and only the API on SUMMA_HTTP_PORT', async (t) => {
    const reader = createApiKey('reader', ['read'])
    const system = await createTestSystem(t, { SUMMA_API_KEYS: reader.entry, SUMMA_AGGREGATOR_OPS_PORT: '0' })
    const aggregator = await startTestAggregator(t, system.config)
    const { httpPort, opsPort } = aggregator.running
    assert.ok(opsPort !== undefined && opsPort !== httpPort, 'an ops port of its own')

    // The ops port: open, as health probes and Prometheus need it.
    await eventually(async () => assert.equal((await get(opsPort, '/health')).status, 200), 30_000)
    assert.equal((await get(opsPort, '/health/live')).status, 200)
    // The API port: the API only, behind the key; health and metrics are not there.
    assert.equal((await get(httpPort, '/total')).status, 401)
    assert.equal((await get(httpPort, '/total', reader.key)).status, 200)
    assert.equal((await get(httpPort, '/health')).status, 404)
    assert.equal((await get(httpPort, '/metrics')).status, 404)
    assert.equal((await get(httpPort, '/metrics', reader.key)).status, 404)
    // The API port's requests are still counted, on the ops port's /metrics.
    const metrics = await get(opsPort, '/metrics')
    assert.equal(metrics.status, 200)
    assert.match(
      metrics.body,
      /summa_http_requests_total\{method="GET",route="\/total",code="200"[^}]*\} [1-9]/,
    )
    assert.equal((await get(opsPort, '/total', reader.key)).status, 404, 'the API is not on the ops port')
  })
})
