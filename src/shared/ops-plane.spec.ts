import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Lifecycle } from './lifecycle.ts'
import { createLogger } from './logger.ts'
import { createRegistry } from './metrics.ts'
import { OpsPlane } from './ops-plane.ts'

const log = createLogger({ level: 'silent', service: 'test' })
const config = { SUMMA_HOST: '127.0.0.1', SUMMA_HTTP_MAX_CONNECTIONS: 100, SUMMA_HANDSHAKE_TIMEOUT_MS: 5000 }

function start(lifecycle: Lifecycle, dependencyUp: () => boolean): Promise<OpsPlane> {
  return OpsPlane.start({
    service: 'relay',
    config,
    log,
    lifecycle,
    registry: createRegistry('relay', false),
    checks: [
      {
        name: 'postgres',
        check: async () => {
          if (!dependencyUp()) throw new Error('down')
        },
      },
    ],
    retention: { name: 'delete-published', run: async () => 0 },
  })
}

describe('OpsPlane', () => {
  it('answers /health from the probes and /metrics from the registry, on a port of its own', async () => {
    const lifecycle = new Lifecycle(log)
    let up = true
    try {
      const ops = await start(lifecycle, () => up)
      const port = await ops.serve({ port: 0, tls: undefined })
      const health = await fetch(`http://127.0.0.1:${port}/health`)
      assert.equal(health.status, 200)
      assert.equal(((await health.json()) as { serviceId: string }).serviceId, 'relay')
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`)
      assert.equal(metrics.status, 200)
      assert.match(
        await metrics.text(),
        /summa_http_requests_total\{method="GET",route="\/health",code="200"/,
      )
      up = false
      await ops.readiness.probe()
      assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 503)
    } finally {
      await lifecycle.close()
    }
  })

  it('registers its cleanups as it starts: shutdown closes the server and stops reporting ready', async () => {
    const lifecycle = new Lifecycle(log)
    const ops = await start(lifecycle, () => true)
    const port = await ops.serve({ port: 0, tls: undefined, name: 'ops-http' })
    assert.equal(ops.readiness.ready, true)
    await lifecycle.close()
    assert.equal(ops.readiness.ready, false)
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health/live`))
  })
})
