import assert from 'node:assert/strict'
import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { spawnSumma } from '../helpers/processes.ts'
import { createTestSystem, getJson, processEnv } from '../helpers/system.ts'

const int64Max = '9223372036854775807'
const int64Min = '-9223372036854775808'
const addPath = '/summa.v1.CalculatorService/Add'

function envFor(system: Awaited<ReturnType<typeof createTestSystem>>) {
  return processEnv(system, { SUMMA_LOG_LEVEL: 'warn' })
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0) / 1024
}

/** Protobuf bytes by hand: a field key is (number << 3) | wire type. */
function field(number: number, wireType: number, payload: Buffer): Buffer {
  return Buffer.concat([varint(BigInt((number << 3) | wireType)), payload])
}
function varint(value: bigint): Buffer {
  const bytes: number[] = []
  let v = BigInt.asUintN(64, value)
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    bytes.push(byte)
  } while (v > 0n)
  return Buffer.from(bytes)
}
function lengthDelimited(number: number, content: Buffer): Buffer {
  return field(number, 2, Buffer.concat([varint(BigInt(content.length)), content]))
}

describe('hostile input', () => {
  it('gRPC: random bytes, wrong wire types, oversized messages, int64 boundaries, odd ids, a flood of one id', async (t) => {
    const system = await createTestSystem(t)
    const env = await envFor(system)
    const calculator = spawnSumma(t, ['calculator'], env)
    const address = `127.0.0.1:${env.SUMMA_GRPC_PORT}`
    const client = new CalculatorClient(address)
    defer(t, () => client.close())
    await eventually(
      () => client.add({ requestId: randomUUID(), num1: '0', num2: '0', deadlineMs: 1000 }),
      30_000,
    )
    const raw = new grpc.Client(address, grpc.credentials.createInsecure())
    defer(t, () => raw.close())
    const rawAdd = (bytes: Buffer) =>
      new Promise<grpc.status>((resolve) => {
        raw.makeUnaryRequest(
          addPath,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new grpc.Metadata(),
          { deadline: Date.now() + 5000 },
          (error) => resolve(error ? (error as grpc.ServiceError).code : grpc.status.OK),
        )
      })
    // Every answer is a clear refusal: never OK, never a timeout or a dropped call, and bytes
    // that are not an AddRequest are the client's fault (INVALID_ARGUMENT), not grpc-js's INTERNAL.
    const refusals = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED])
    const codes = new Map<string, number>()
    const expectRefused = async (bytes: Buffer, what: string) => {
      const code = await rawAdd(bytes)
      codes.set(grpc.status[code]!, (codes.get(grpc.status[code]!) ?? 0) + 1)
      assert.ok(refusals.has(code), `${what}: ${grpc.status[code]}`)
    }

    for (let i = 0; i < 300; i++) await expectRefused(randomBytes(randomInt(0, 4000)), 'random bytes')
    const id = Buffer.from(randomUUID())
    await expectRefused(Buffer.concat([field(1, 0, varint(42n)), field(2, 0, varint(1n))]), 'id as a varint')
    await expectRefused(
      Buffer.concat([lengthDelimited(1, id), lengthDelimited(2, Buffer.from('12'))]),
      'num as text',
    )
    await expectRefused(
      Buffer.concat([lengthDelimited(1, id), field(2, 1, Buffer.alloc(8))]),
      'num as fixed64',
    )
    await expectRefused(Buffer.concat([lengthDelimited(1, Buffer.from([0xff, 0xfe, 0xc0]))]), 'id not UTF-8')
    await expectRefused(lengthDelimited(1, Buffer.alloc(17 * 1024, 0x61)), '17 KB message')
    await expectRefused(lengthDelimited(1, Buffer.alloc(4 * 1024 * 1024, 0x61)), '4 MB message')
    await expectRefused(
      Buffer.concat([lengthDelimited(1, id), lengthDelimited(9, randomBytes(64))]).subarray(0, 40),
      'truncated',
    )

    const cases: Array<[string, string, string, grpc.status, string?]> = [
      [randomUUID(), int64Max, '0', grpc.status.OK, int64Max],
      [randomUUID(), int64Min, '0', grpc.status.OK, int64Min],
      [randomUUID(), int64Max, int64Min, grpc.status.OK, '-1'],
      [randomUUID(), int64Max, '1', grpc.status.OUT_OF_RANGE],
      [randomUUID(), int64Min, '-1', grpc.status.OUT_OF_RANGE],
      [randomUUID().toUpperCase(), '2', '3', grpc.status.OK, '5'],
      ['', '1', '1', grpc.status.INVALID_ARGUMENT],
      ['not-a-uuid', '1', '1', grpc.status.INVALID_ARGUMENT],
      ['ü'.repeat(36), '1', '1', grpc.status.INVALID_ARGUMENT],
      ['🙂'.repeat(9), '1', '1', grpc.status.INVALID_ARGUMENT],
      [`${randomUUID()}\u0000`, '1', '1', grpc.status.INVALID_ARGUMENT],
      ['x'.repeat(10_000), '1', '1', grpc.status.INVALID_ARGUMENT],
      ['x'.repeat(20_000), '1', '1', grpc.status.RESOURCE_EXHAUSTED],
    ]
    for (const [requestId, num1, num2, code, sum] of cases) {
      try {
        const answer = await client.add({ requestId, num1, num2 })
        assert.equal(grpc.status.OK, code, `${requestId.slice(0, 40)}: answered ${answer.sum}`)
        assert.equal(answer.sum, sum)
      } catch (error) {
        const actual = (error as grpc.ServiceError).code
        assert.equal(grpc.status[actual], grpc.status[code], `${requestId.slice(0, 40)} ${num1} ${num2}`)
      }
    }
    const accepted = cases.filter(([, , , code]) => code === grpc.status.OK).length + 1

    // A flood of one id: every same-numbers call gets the one answer, exactly
    // one of them writes; other numbers under that id are refused.
    const flooded = randomUUID()
    const flood = await Promise.all(
      Array.from({ length: 1000 }, () =>
        client.add({ requestId: flooded, num1: '40', num2: '2', deadlineMs: 20_000 }),
      ),
    )
    assert.ok(flood.every((answer) => answer.sum === '42'))
    assert.equal(flood.filter((answer) => !answer.replayed).length, 1)
    const reused = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => client.add({ requestId: flooded, num1: String(i), num2: '7' })),
    )
    for (const result of reused) {
      assert.equal(result.status, 'rejected')
      assert.equal((result.reason as grpc.ServiceError).code, grpc.status.ALREADY_EXISTS)
    }

    // Rejected input changed nothing: one row per accepted request, and one event each.
    const [rows] = await system.db.sql<{ requests: string; events: string }[]>`
      select (select count(*) from add_requests)::text as requests, (select count(*) from outbox)::text as events`
    assert.deepEqual(rows, { requests: String(accepted + 1), events: String(accepted + 1) })
    assert.equal(calculator.child.exitCode, null, 'the calculator is still running')
    const rss = rssMb(calculator.child.pid!)
    assert.ok(rss < 400, `calculator RSS ${rss} MB`)
    t.diagnostic(
      `raw refusals: ${JSON.stringify(Object.fromEntries(codes))}; calculator RSS ${rss.toFixed(0)} MB`,
    )
  })

  it('HTTP: garbage, oversized and nested bodies, long URLs, slow clients, a flood of requests', async (t) => {
    const system = await createTestSystem(t)
    // Room for the 50 slow clients and the 1,000 concurrent requests below, which
    // this test is not about: the connection cap has its own (hostile-http.test.ts).
    const env: Record<string, string> = { ...(await envFor(system)), SUMMA_HTTP_MAX_CONNECTIONS: '1200' }
    const aggregator = spawnSumma(t, ['aggregator'], env)
    const port = Number(env.SUMMA_HTTP_PORT)
    await eventually(async () => assert.equal((await getJson(port, '/health/live')).status, 200), 30_000)
    const base = `http://127.0.0.1:${port}`
    const statusOf = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) })
      await response.arrayBuffer()
      return response.status
    }
    const rawRequest = (bytes: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1')
        let answer = ''
        socket.on('data', (chunk) => {
          answer += chunk.toString('latin1')
        })
        socket.on('close', () => resolve(answer))
        socket.on('error', reject)
        socket.setTimeout(15_000, () => socket.destroy(new Error('no answer to garbage')))
        socket.end(bytes)
      })

    for (let i = 0; i < 50; i++) {
      const answer = await rawRequest(randomBytes(randomInt(1, 3000)))
      assert.match(answer, /^HTTP\/1\.1 4\d\d/, 'garbage gets a 4xx and the socket is closed')
    }
    const json = { 'content-type': 'application/json' }
    assert.equal(
      await statusOf('/total', { method: 'POST', headers: json, body: `[${'1,'.repeat(600_000)}1]` }),
      413,
    )
    assert.equal(
      await statusOf('/total', {
        method: 'POST',
        headers: json,
        body: `${'['.repeat(60_000)}${']'.repeat(60_000)}`,
      }),
      413,
    )
    const nested = await statusOf('/total', {
      method: 'POST',
      headers: json,
      body: `${'['.repeat(5000)}${']'.repeat(5000)}`,
    })
    assert.ok(nested >= 400 && nested < 500, `nested JSON: ${nested}`)
    const longUrl = await statusOf(`/total?x=${'a'.repeat(100_000)}`)
    assert.ok(longUrl === 414 || longUrl === 431, `100 KB URL: ${longUrl}`)
    assert.equal(await statusOf(`/${encodeURIComponent('ü🙂'.repeat(200))}`), 404)
    assert.equal(await statusOf('/total', { method: 'DELETE' }), 405)
    assert.equal(await statusOf('/nowhere', { method: 'DELETE' }), 404)

    // Slow clients: sockets that send half a request and stall do not stop others being served.
    const slow = Array.from({ length: 50 }, () => {
      const socket = connect(port, '127.0.0.1')
      socket.on('error', () => {})
      socket.write('GET /total HTTP/1.1\r\nHost: x\r\nX-Slow: ')
      return socket
    })
    defer(t, () => {
      for (const socket of slow) socket.destroy()
    })
    const flood = await Promise.all(Array.from({ length: 1000 }, () => statusOf('/total')))
    assert.ok(
      flood.every((status) => status === 200),
      `flood: ${[...new Set(flood)]}`,
    )
    assert.equal(aggregator.child.exitCode, null, 'the aggregator is still running')
    const { body } = await getJson<{ total: string }>(port, '/total')
    assert.equal(body.total, '0', 'rejected input changed nothing')
    const rss = rssMb(aggregator.child.pid!)
    assert.ok(rss < 400, `aggregator RSS ${rss} MB`)
  })
})
