import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { defer } from '../helpers/cleanup.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { eventually } from '../helpers/eventually.ts'
import { testKafkaEnv } from '../helpers/kafka.ts'
import { freePort } from '../helpers/ports.ts'
import { assertStoppedBy, builtSummaEntry, descendantsOf, isAlive, spawnSumma } from '../helpers/processes.ts'
import { getJson } from '../helpers/system.ts'

async function basePort(): Promise<number> {
  for (;;) {
    const base = await freePort()
    const ports = [0, 1, 2, 3, 100, 101, 102, 103].map((offset) => base + offset)
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return base
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

describe('summa up --replicas', () => {
  it('runs two of each service on their own ports, both aggregators serve one total, and Ctrl-C leaves nothing running', async (t) => {
    const db = await createTestDatabase(t)
    const dataDir = await mkdtemp(path.join(tmpdir(), 'summa-up-replicas-'))
    defer(t, () => rm(dataDir, { recursive: true, force: true }))
    // Replica 2 listens on each port + 100: four ports in a row, free, and free 100 higher.
    const base = await basePort()
    const env = {
      DATABASE_URL: db.url,
      SUMMA_DATA_DIR: dataDir,
      ...testKafkaEnv(),
      SUMMA_TOPIC: `up-replicas-${randomUUID()}`,
      SUMMA_CONSUMER_GROUP: `up-replicas-${randomUUID()}`,
      SUMMA_GRPC_PORT: String(base),
      SUMMA_HTTP_PORT: String(base + 1),
      SUMMA_CALCULATOR_HTTP_PORT: String(base + 2),
      SUMMA_RELAY_HTTP_PORT: String(base + 3),
      SUMMA_LOG_LEVEL: 'warn',
    }
    const up = spawnSumma(t, ['up', '--replicas', '2'], env, builtSummaEntry)
    await eventually(() => assert.match(up.output(), /summa is ready/), 150_000, 250)
    const calculators = /all calculators\s+(\S+)/.exec(up.output())?.[1]
    assert.ok(calculators !== undefined, up.output())
    assert.equal(calculators.split(',').length, 2)
    for (const port of [Number(env.SUMMA_HTTP_PORT), Number(env.SUMMA_HTTP_PORT) + 100])
      assert.match(up.output(), new RegExp(`:${port}/health`))

    const client = new CalculatorClient(calculators)
    defer(t, () => client.close())
    let expected = 0n
    for (let i = 1; i <= 20; i++) {
      await client.add({ requestId: randomUUID(), num1: String(i), num2: '0' })
      expected += BigInt(i)
    }
    for (const port of [Number(env.SUMMA_HTTP_PORT), Number(env.SUMMA_HTTP_PORT) + 100]) {
      await eventually(
        async () => {
          const { body } = await getJson<{ total: string }>(port, '/total')
          assert.equal(body.total, String(expected))
        },
        30_000,
        100,
      )
    }
    // Both calculators took calls (round robin), each under its own replica id.
    const replicaIds = new Set<string>()
    for (const port of [
      Number(env.SUMMA_CALCULATOR_HTTP_PORT),
      Number(env.SUMMA_CALCULATOR_HTTP_PORT) + 100,
    ]) {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      const id = /summa_replica_info\{[^}]*replica="([^"]+)"/.exec(metrics)?.[1]
      assert.ok(id !== undefined)
      replicaIds.add(id)
    }
    assert.equal(replicaIds.size, 2)

    const everything = [up.child.pid!, ...descendantsOf(up.child.pid!)]
    assert.ok(everything.length >= 7, `up and its six services: ${everything.length}`)
    process.kill(up.child.pid!, 'SIGINT')
    await assertStoppedBy(up, 'SIGINT')
    await eventually(() => assert.deepEqual(everything.filter(isAlive), []), 15_000, 100)
  })
})
