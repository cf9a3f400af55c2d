import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { status } from '@grpc/grpc-js'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { eventually } from '../helpers/eventually.ts'
import { assertStoppedBy, spawnSumma } from '../helpers/processes.ts'
import { createTestSystem, getJson, processEnv } from '../helpers/system.ts'

function envFor(system: Awaited<ReturnType<typeof createTestSystem>>) {
  return processEnv(system, { SUMMA_SHUTDOWN_TIMEOUT_MS: '8000', SUMMA_LOG_LEVEL: 'info' })
}

describe('service processes', () => {
  it('refuses to start on invalid configuration, naming the variable', async (t) => {
    const summa = spawnSumma(t, ['calculator'], { SUMMA_GRPC_PORT: 'ninety' })
    const { code } = await summa.exited
    assert.equal(code, 1)
    assert.match(summa.output(), /SUMMA_GRPC_PORT="ninety"/)
  })

  for (const service of ['relay', 'aggregator'] as const) {
    it(`${service}: becomes ready, and ends by SIGTERM after its graceful stop`, async (t) => {
      const system = await createTestSystem(t)
      const env = await envFor(system)
      const port = Number(service === 'relay' ? env.SUMMA_RELAY_HTTP_PORT : env.SUMMA_HTTP_PORT)
      const summa = spawnSumma(t, [service], env)
      await eventually(async () => assert.equal((await getJson(port, '/health')).status, 200), 30_000)
      const started = Date.now()
      summa.child.kill('SIGTERM')
      await assertStoppedBy(summa, 'SIGTERM')
      assert.match(summa.output(), /"msg":"stopped"/, 'the log was written out before the signal ended it')
      assert.ok(Date.now() - started < 10_000)
    })
  }

  it('calculator: answers or refuses every call in flight at SIGTERM, and ends by SIGTERM', async (t) => {
    const system = await createTestSystem(t)
    const env = await envFor(system)
    const summa = spawnSumma(t, ['calculator'], env)
    const client = new CalculatorClient(`127.0.0.1:${env.SUMMA_GRPC_PORT}`)
    t.after(() => client.close())
    await eventually(
      () => client.add({ requestId: randomUUID(), num1: '0', num2: '0', deadlineMs: 1000 }),
      30_000,
    )

    const sent = Array.from({ length: 400 }, () => randomUUID())
    const calls = sent.map((requestId, i) =>
      client.add({ requestId, num1: String(i), num2: '1', deadlineMs: 10_000 }).then(
        () => ({ requestId, ok: true as const }),
        (error: { code: number }) => ({ requestId, ok: false as const, code: error.code }),
      ),
    )
    summa.child.kill('SIGTERM')
    const results = await Promise.all(calls)
    await assertStoppedBy(summa, 'SIGTERM')
    for (const result of results) {
      if (!result.ok)
        assert.equal(result.code, status.UNAVAILABLE, 'refused calls say UNAVAILABLE (retry elsewhere)')
    }
    const acknowledged = results.filter((result) => result.ok).map((result) => result.requestId)
    const stored = await system.db.sql<{ request_id: string }[]>`
      select request_id from add_requests where request_id = any(${acknowledged}::uuid[])`
    assert.equal(stored.length, acknowledged.length, 'every acknowledged Add is durable')
  })
})
