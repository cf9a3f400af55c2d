import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import {
  calculatorClient,
  createTestSystem,
  getJson,
  startTestAggregator,
  startTestPipeline,
} from '../helpers/system.ts'

interface TotalBody {
  total: string
  appliedEvents: string
}

describe('Add → outbox → Kafka → total', () => {
  it('adds every accepted request to the total exactly once, retries included', async (t) => {
    const system = await createTestSystem(t)
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const client = calculatorClient(t, calculator.running.grpcPort)

    const requests = Array.from({ length: 200 }, (_, i) => ({
      requestId: randomUUID(),
      num1: String(i),
      num2: String(-2 * i + 1_000_000_000_000),
    }))
    // Every request is sent twice, the second copy concurrently with the first.
    const answers = await Promise.all(
      requests.flatMap((request) => [client.add(request), client.add(request)]),
    )
    const expected = requests.reduce((total, r) => total + BigInt(r.num1) + BigInt(r.num2), 0n)
    for (const [i, request] of requests.entries()) {
      const [first, second] = [answers[2 * i]!, answers[2 * i + 1]!]
      assert.equal(first.sum, (BigInt(request.num1) + BigInt(request.num2)).toString())
      assert.equal(second.sum, first.sum)
      assert.equal(
        [first.replayed, second.replayed].filter(Boolean).length,
        1,
        'exactly one of the two copies is the original',
      )
    }

    const httpPort = aggregator.running.httpPort
    const total = await eventually(async () => {
      const { status, body } = await getJson<TotalBody>(httpPort, '/total')
      assert.equal(status, 200)
      assert.equal(body.total, expected.toString())
      return body
    })
    assert.equal(total.appliedEvents, '200')

    // The file outputs follow the database.
    await eventually(async () => {
      assert.equal(await readFile(path.join(system.dataDir, 'sum.txt'), 'utf8'), `${expected}\n`)
    })
    const audit = (await readFile(path.join(system.dataDir, 'audit.jsonl'), 'utf8')).trimEnd().split('\n')
    assert.equal(audit.length, 200)
    assert.deepEqual(
      new Set(audit.map((line) => JSON.parse(line).requestId)),
      new Set(requests.map((r) => r.requestId)),
    )

    const outbox = await system.db.sql`select count(*)::int as n from outbox`
    assert.equal(outbox[0]!.n, 200, 'one outbox event per request, none for the duplicates')
  })

  it('serves health as application/health+json and metrics as Prometheus text', async (t) => {
    const system = await createTestSystem(t)
    const aggregator = await startTestAggregator(t, system.config)
    const port = aggregator.running.httpPort
    const health = await eventually(async () => {
      const result = await getJson<{ status: string; checks: Record<string, unknown> }>(port, '/health')
      assert.equal(result.status, 200)
      return result
    })
    assert.match(health.type, /application\/health\+json/)
    assert.equal(health.body.status, 'pass')
    assert.ok('postgres:connection' in health.body.checks)
    assert.ok('kafka:connection' in health.body.checks)
    const metrics = await getJson<string>(port, '/metrics')
    assert.match(metrics.type, /text\/plain/)
    assert.match(metrics.body, /^summa_total_value\{[^}]*\} 0$/m)
    // The old name, kept one release for dashboards built on it (CHANGELOG), with the same value.
    assert.match(metrics.body, /^summa_running_total\{[^}]*\} 0$/m)
    assert.match(metrics.body, /nodejs_eventloop_lag/)
  })
})
