import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { Client, credentials, status } from '@grpc/grpc-js'
import { eventually } from '../helpers/eventually.ts'
import { healthCheck, rejectsWithStatus } from '../helpers/grpc.ts'
import {
  callThroughReflection,
  reflectedServices,
  type Seed,
  seedAdd,
  seedCalls,
} from '../helpers/seed-clients.ts'
import { createTestSystem, getJson, startTestCalculator, startTestPipeline } from '../helpers/system.ts'

// The seeds' own ports (9091, 4000, 3000) are switched on by the same setting, on ports picked
// now: the code path is the one SUMMA_COMPAT_PORTS=true takes with its defaults.
const compatPorts = {
  SUMMA_COMPAT_PORTS: 'true',
  SUMMA_COMPAT_GRPC_PORTS: '0,0',
  SUMMA_COMPAT_HTTP_PORT: '0',
}
const seeds = Object.keys(seedCalls) as Seed[]

async function counts(sql: Awaited<ReturnType<typeof createTestSystem>>['db']['sql']) {
  const [row] = await sql<{ requests: number; events: number }[]>`
    select (select count(*)::int from add_requests) as requests, (select count(*)::int from outbox) as events`
  return row!
}

async function getText(port: number, route: string, accept?: string) {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    headers: accept === undefined ? {} : { accept },
    signal: AbortSignal.timeout(5000),
  })
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  }
}

describe("the seeds' contracts", () => {
  it('answer the sum on every path and port, and their Adds reach the total in each REST shape', async (t) => {
    const system = await createTestSystem(t, compatPorts)
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const { grpcPort, compatGrpcPorts } = calculator.running
    assert.equal(compatGrpcPorts.length, 2)
    // Each seed on its own port (001: summa's 9090; 000: 9091; 003: 4000), and all on every port.
    const home: Record<Seed, number> = {
      '001': grpcPort,
      '000': compatGrpcPorts[0]!,
      '003': compatGrpcPorts[1]!,
    }
    assert.equal(await seedAdd(t, '001', home['001'], 5, 10), 15)
    assert.equal(await seedAdd(t, '000', home['000'], 2147483000, 647), 2147483647)
    assert.equal(await seedAdd(t, '003', home['003'], -7, 3), -4)
    let expected = 15 + 2147483647 - 4
    for (const port of [grpcPort, ...compatGrpcPorts]) {
      for (const seed of seeds) {
        assert.equal(await seedAdd(t, seed, port, 1, 2), 3, `${seed} on ${port}`)
        expected += 3
      }
    }
    // Not idempotent without a key, as in the seeds: every call is a new Add.
    assert.deepEqual(await counts(system.db.sql), { requests: 12, events: 12 })

    const httpPort = aggregator.running.httpPort
    const compatHttpPort = aggregator.running.compatHttpPort
    assert.ok(compatHttpPort !== undefined)
    await eventually(async () => {
      const { body } = await getJson<{ total: string }>(httpPort, '/total')
      assert.equal(body.total, String(expected))
    })
    for (const port of [httpPort, compatHttpPort]) {
      const summation = await getText(port, '/summation')
      assert.equal(summation.status, 200)
      assert.match(summation.type, /^application\/json/)
      assert.equal(summation.text, `{"Status":"Success","data":${expected}}`)
      assert.equal(typeof JSON.parse(summation.text).data, 'number')
      const final = await getText(port, '/api/final')
      assert.match(final.type, /^text\/plain/)
      assert.equal(final.text, String(expected))
      const plain = await getText(port, '/total', 'text/plain')
      assert.match(plain.type, /^text\/plain/)
      assert.equal(plain.text, String(expected))
      for (const accept of [undefined, '*/*', 'application/json', 'text/html,*/*;q=0.8']) {
        const json = await getText(port, '/total', accept)
        assert.match(json.type, /^application\/json/, String(accept))
        assert.equal(JSON.parse(json.text).total, String(expected))
      }
    }

    // One handler: the Adds are counted by summa's Add metrics, with the API that was called.
    const metrics = await getText(calculator.running.httpPort, '/metrics')
    for (const api of ['CalculatorService', 'SumService', 'summationPackage.Summation']) {
      assert.match(
        metrics.text,
        new RegExp(`summa_grpc_requests_total\\{[^}]*api="${api.replace('.', '\\.')}"[^}]*\\} 4\\b`),
      )
    }
  })

  it('refuse a sum outside int32 with OUT_OF_RANGE naming the limit, and bytes that do not decode, writing nothing', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const port = calculator.running.grpcPort
    for (const seed of seeds) {
      for (const [a, b] of [
        [2147483647, 1],
        [-2147483648, -1],
      ] as const) {
        const error = await rejectsWithStatus(seedAdd(t, seed, port, a, b), status.OUT_OF_RANGE)
        assert.match(error.details, /int32 \(-2147483648 to 2147483647\)/)
      }
    }
    // Bytes that are not the request message are the client's error, not the server's.
    const raw = new Client(`127.0.0.1:${port}`, credentials.createInsecure())
    t.after(() => raw.close())
    for (const seed of seeds) {
      const { service, method } = seedCalls[seed]
      const garbage = new Promise((resolve, reject) =>
        raw.makeUnaryRequest(
          `/${service}/${method}`,
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          Buffer.from([0x0a, 0xff, 0xff]),
          { deadline: Date.now() + 10_000 },
          (error, value) => (error ? reject(error) : resolve(value)),
        ),
      )
      await rejectsWithStatus(garbage, status.INVALID_ARGUMENT)
    }
    assert.deepEqual(await counts(system.db.sql), { requests: 0, events: 0 })
  })

  it('replay a call that carries an idempotency-key, and refuse a key that is not a UUID', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const port = calculator.running.grpcPort
    for (const seed of seeds) {
      const key = randomUUID()
      assert.equal(await seedAdd(t, seed, port, 20, 22, key), 42)
      assert.equal(await seedAdd(t, seed, port, 20, 22, key), 42)
      const [row] = await system.db.sql<{ n: number }[]>`
        select count(*)::int as n from add_requests where request_id = ${key}`
      assert.equal(row!.n, 1, `${seed}: the key is the request id, recorded once`)
      const reused = await rejectsWithStatus(seedAdd(t, seed, port, 1, 1, key), status.ALREADY_EXISTS)
      assert.match(reused.details, new RegExp(key))
      const invalid = await rejectsWithStatus(
        seedAdd(t, seed, port, 1, 1, 'retry-1'),
        status.INVALID_ARGUMENT,
      )
      assert.match(invalid.details, /idempotency-key/)
    }
    assert.deepEqual(await counts(system.db.sql), { requests: 3, events: 3 })
  })

  it('are listed and resolved by reflection, call Add through it as grpcurl does, and report health', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const address = `127.0.0.1:${calculator.running.grpcPort}`
    const services = await reflectedServices(address)
    for (const name of [
      'summa.v1.CalculatorService',
      'CalculatorService',
      'SumService',
      'summationPackage.Summation',
    ])
      assert.ok(services.includes(name), `${name} in ${services.join(', ')}`)
    // grpcurl -plaintext -d '{"num1": 5, "num2": 10}' localhost:9090 CalculatorService/Add
    assert.deepEqual(await callThroughReflection(address, 'CalculatorService/Add', { num1: 5, num2: 10 }), {
      sum: 15,
    })
    assert.deepEqual(
      await callThroughReflection(address, 'SumService/AddNumbers', { firstNumber: 5, secondNumber: 10 }),
      { result: 15 },
    )
    assert.deepEqual(
      await callThroughReflection(address, 'summationPackage.Summation/sumTwoNumbers', { a: 5, b: 10 }),
      { sum: 15 },
    )
    // summa's own contract still resolves beside the package-less CalculatorService.
    const own = await callThroughReflection(address, 'summa.v1.CalculatorService/Add', {
      requestId: randomUUID(),
      num1: '5',
      num2: '10',
    })
    assert.equal(own.sum, '15')
    for (const name of ['CalculatorService', 'SumService', 'summationPackage.Summation'])
      await eventually(async () => assert.equal(await healthCheck(address, name), 'SERVING', name))
    assert.deepEqual(await counts(system.db.sql), { requests: 4, events: 4 })
  })
})
