import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { createApiKey } from '../../src/shared/auth/api-keys.ts'
import { publicPaths } from '../../src/shared/http/require-scope.ts'
import { bearer, firstEvent, get, metadataOf, requestCount } from '../helpers/auth.ts'
import { eventually } from '../helpers/eventually.ts'
import { healthCheck, rejectsWithStatus } from '../helpers/grpc.ts'
import { spawnSumma } from '../helpers/processes.ts'
import { reflectedServices, seedAdd } from '../helpers/seed-clients.ts'
import {
  calculatorClient,
  createTestSystem,
  startTestAggregator,
  startTestCalculator,
} from '../helpers/system.ts'

const adder = createApiKey('adder', ['add'])
const adderNext = createApiKey('adder-next', ['add'])
const reader = createApiKey('reader', ['read'])
const admin = createApiKey('admin', ['admin'])
const loader = createApiKey('loader', ['add', 'read'])
const wrongKey = createApiKey('nobody', ['add', 'read', 'admin']).key
const entries = [adder, adderNext, reader, admin, loader].map((key) => key.entry).join(',')

describe('authentication and authorization', () => {
  it('gRPC: Add, on summa.v1 and a seed path, needs a known key with the add scope; health and reflection stay open', async (t) => {
    const system = await createTestSystem(t, { SUMMA_API_KEYS: entries })
    const calculator = await startTestCalculator(t, system.config)
    const port = calculator.running.grpcPort
    const client = calculatorClient(t, port)
    const add = (headers: Record<string, string>) =>
      client.add({ requestId: randomUUID(), num1: '2', num2: '3', metadata: metadataOf(headers) })

    const missing = await rejectsWithStatus(add({}), grpc.status.UNAUTHENTICATED)
    assert.match(missing.details, /no API key was sent/)
    await rejectsWithStatus(add(bearer(wrongKey)), grpc.status.UNAUTHENTICATED)
    await rejectsWithStatus(add({ authorization: wrongKey }), grpc.status.UNAUTHENTICATED)
    const denied = await rejectsWithStatus(add(bearer(reader.key)), grpc.status.PERMISSION_DENIED)
    assert.match(denied.details, /reader lacks the add scope/)
    await rejectsWithStatus(add(bearer(admin.key)), grpc.status.PERMISSION_DENIED)
    assert.equal((await add(bearer(adder.key))).sum, '5')
    // Two keys with the add scope are active at once: the old and the new of a rotation.
    assert.equal((await add(bearer(adderNext.key))).sum, '5')

    // The seeds' contracts are the same Add, under the same rule.
    await rejectsWithStatus(seedAdd(t, '000', port, 1, 2), grpc.status.UNAUTHENTICATED)
    await rejectsWithStatus(
      seedAdd(t, '003', port, 1, 2, undefined, undefined, bearer(reader.key)),
      grpc.status.PERMISSION_DENIED,
    )
    assert.equal(await seedAdd(t, '001', port, 1, 2, undefined, undefined, bearer(adder.key)), 3)

    // Refused calls changed nothing: only the three accepted ones were recorded.
    assert.equal(await requestCount(system), 3)

    assert.equal(await healthCheck(`127.0.0.1:${port}`), 'SERVING')
    assert.ok((await reflectedServices(`127.0.0.1:${port}`)).includes('summa.v1.CalculatorService'))

    const metrics = await get(calculator.running.httpPort, '/metrics')
    assert.equal(metrics.status, 200, 'metrics stay open')
    assert.match(
      metrics.text,
      /summa_client_requests_total\{client="unknown",outcome="unauthenticated"[^}]*\} 4/,
    )
    assert.match(metrics.text, /summa_client_requests_total\{client="reader",outcome="forbidden"[^}]*\} 2/)
    assert.match(metrics.text, /summa_client_requests_total\{client="adder",outcome="allowed"[^}]*\} 2/)
    assert.ok(!metrics.text.includes(adder.key) && !metrics.text.includes(adder.entry.split(':')[2]!))
  })

  it('rotation: a key removed from the configuration is refused after the restart, its successor is not', async (t) => {
    const system = await createTestSystem(t, { SUMMA_API_KEYS: `${adder.entry},${adderNext.entry}` })
    const first = await startTestCalculator(t, system.config)
    const add = async (port: number, key: string) =>
      calculatorClient(t, port).add({
        requestId: randomUUID(),
        num1: '1',
        num2: '1',
        metadata: metadataOf(bearer(key)),
      })
    assert.equal((await add(first.running.grpcPort, adder.key)).sum, '2')
    await first.stop()
    const rotated = await startTestCalculator(t, { ...system.config, SUMMA_API_KEYS: adderNext.entry })
    await rejectsWithStatus(add(rotated.running.grpcPort, adder.key), grpc.status.UNAUTHENTICATED)
    assert.equal((await add(rotated.running.grpcPort, adderNext.key)).sum, '2')
  })

  it('HTTP: the total, /summation and the console need the read scope; health, metrics and the contract stay open', async (t) => {
    const system = await createTestSystem(t, {
      SUMMA_API_KEYS: entries,
      SUMMA_COMPAT_PORTS: 'true',
      SUMMA_COMPAT_GRPC_PORTS: '0',
      SUMMA_COMPAT_HTTP_PORT: '0',
    })
    const aggregator = await startTestAggregator(t, system.config)
    const { httpPort, compatHttpPort } = aggregator.running
    assert.ok(compatHttpPort !== undefined)

    for (const route of ['/total', '/summation', '/api/final', '/console/snapshot', '/', '/no-such-path']) {
      const missing = await get(httpPort, route)
      assert.equal(missing.status, 401, route)
      assert.match(missing.authenticate, /^Bearer realm="summa"/, route)
      assert.equal(JSON.parse(missing.text).error, 'UNAUTHENTICATED')
    }
    const wrong = await get(httpPort, '/total', bearer(wrongKey))
    assert.equal(wrong.status, 401)
    assert.match(wrong.authenticate, /error="invalid_token"/)
    assert.ok(!wrong.text.includes(wrongKey))
    const denied = await get(httpPort, '/total', bearer(adder.key))
    assert.equal(denied.status, 403)
    assert.match(denied.authenticate, /error="insufficient_scope", scope="read"/)
    assert.equal(JSON.parse(denied.text).error, 'PERMISSION_DENIED')
    assert.equal((await get(httpPort, '/total', bearer(admin.key))).status, 403)

    assert.equal(JSON.parse((await get(httpPort, '/total', bearer(reader.key))).text).total, '0')
    assert.equal((await get(compatHttpPort, '/summation')).status, 401, 'the seed port too')
    assert.equal(
      (await get(compatHttpPort, '/summation', bearer(reader.key))).text,
      '{"Status":"Success","data":0}',
    )
    assert.equal((await get(httpPort, '/console/snapshot', bearer(reader.key))).status, 200)
    // A browser sends the key as Basic's password, with the page and its event stream.
    const basic = { authorization: `Basic ${Buffer.from(`console:${reader.key}`).toString('base64')}` }
    assert.equal((await get(httpPort, '/', basic)).status, 200)
    assert.equal((await firstEvent(httpPort, {})).status, 401)
    assert.equal((await firstEvent(httpPort, bearer(adder.key))).status, 403)
    assert.match((await firstEvent(httpPort, basic)).chunk, /^event: snapshot/m)

    for (const route of ['/health/live', '/metrics', '/openapi.json'])
      assert.equal((await get(httpPort, route)).status, 200, route)
    // The published contract says which routes need no key, and says it right.
    const document = JSON.parse((await get(httpPort, '/openapi.json')).text) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>
    }
    const open = Object.entries(document.paths)
      .filter(([, methods]) => Object.values(methods).every((operation) => operation.security?.length === 0))
      .map(([route]) => route)
    assert.deepEqual(open.sort(), [...publicPaths].sort())
    await eventually(async () => assert.equal((await get(httpPort, '/health')).status, 200))
  })

  it('rate limits each key with a token bucket: RESOURCE_EXHAUSTED with retry-after-ms, 429 with Retry-After, counted per client', async (t) => {
    const system = await createTestSystem(t, {
      SUMMA_API_KEYS: entries,
      SUMMA_RATE_LIMIT_PER_SECOND: '0.5',
      SUMMA_RATE_LIMIT_BURST: '2',
    })
    const calculator = await startTestCalculator(t, system.config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    const add = (key: string) =>
      client.add({ requestId: randomUUID(), num1: '1', num2: '2', metadata: metadataOf(bearer(key)) })
    await add(adder.key)
    await add(adder.key)
    const limited = await rejectsWithStatus(add(adder.key), grpc.status.RESOURCE_EXHAUSTED)
    const retryAfterMs = Number(limited.metadata.get('retry-after-ms')[0])
    assert.ok(retryAfterMs > 0 && retryAfterMs <= 2000, `retry-after-ms ${retryAfterMs}`)
    // Per key: another client still has its burst.
    await add(adderNext.key)
    assert.equal(await requestCount(system), 3)
    const metrics = await get(calculator.running.httpPort, '/metrics')
    assert.match(metrics.text, /summa_client_requests_total\{client="adder",outcome="rate_limited"[^}]*\} 1/)
    assert.match(metrics.text, /summa_client_requests_total\{client="adder-next",outcome="allowed"[^}]*\} 1/)

    const aggregator = await startTestAggregator(t, system.config)
    const port = aggregator.running.httpPort
    assert.equal((await get(port, '/total', bearer(reader.key))).status, 200)
    assert.equal((await get(port, '/total', bearer(reader.key))).status, 200)
    const tooMany = await get(port, '/total', bearer(reader.key))
    assert.equal(tooMany.status, 429)
    assert.equal(JSON.parse(tooMany.text).error, 'RATE_LIMITED')
    assert.ok(Number(tooMany.retryAfter) >= 1, `Retry-After ${tooMany.retryAfter}`)
    assert.equal((await get(port, '/health/live')).status, 200, 'health is not limited')
  })

  it('the CLI and summa load send --api-key or SUMMA_API_KEY; reset needs the admin scope; no key reaches a log', async (t) => {
    const system = await createTestSystem(t, { SUMMA_API_KEYS: entries })
    const calculator = await startTestCalculator(t, system.config)
    const aggregator = await startTestAggregator(t, system.config)
    const env = {
      DATABASE_URL: system.db.url,
      SUMMA_HOST: '127.0.0.1',
      SUMMA_GRPC_PORT: String(calculator.running.grpcPort),
      SUMMA_HTTP_PORT: String(aggregator.running.httpPort),
      SUMMA_API_KEYS: entries,
      SUMMA_LOG_LEVEL: 'debug',
    }
    const run = async (args: string[], extra: Record<string, string> = {}) => {
      const child = spawnSumma(t, args, { ...env, ...extra })
      const { code } = await child.exited
      return { code, output: child.output() }
    }
    const outputs: string[] = []
    const check = async (
      args: string[],
      extra: Record<string, string>,
      expected: number,
      pattern: RegExp,
    ) => {
      const result = await run(args, extra)
      outputs.push(result.output)
      assert.equal(result.code, expected, `${args.join(' ')}: ${result.output}`)
      assert.match(result.output, pattern, args.join(' '))
    }
    await check(['add', '4', '5'], {}, 1, /UNAUTHENTICATED|gRPC status 16/)
    await check(['add', '4', '5', '--api-key', wrongKey], {}, 1, /gRPC status 16/)
    await check(['add', '-4', '5', '--api-key', adder.key], {}, 0, /"sum":"1"/)
    await check(['add', '4', '5'], { SUMMA_API_KEY: adderNext.key }, 0, /"sum":"9"/)
    await check(['total'], {}, 1, /401/)
    await check(['total', `--api-key=${reader.key}`], {}, 0, /"total"/)
    await check(
      [
        'load',
        '--rate',
        '20',
        '--duration',
        '1s',
        '--mix',
        'add=1,total=1',
        '--max-error-rate',
        '0',
        '--quiet',
      ],
      {},
      1,
      /UNAUTHENTICATED|HTTP_401/,
    )
    outputs.pop()
    // summa load needs both scopes; reader's and adder's are separate keys, so one with both is made.
    const both = createApiKey('loader', ['add', 'read'])
    await check(
      [
        'load',
        '--rate',
        '20',
        '--duration',
        '1s',
        '--mix',
        'add=1,total=1',
        '--max-error-rate',
        '0',
        '--quiet',
        '--api-key',
        both.key,
      ],
      { SUMMA_API_KEYS: `${entries},${both.entry}` },
      1,
      /./,
    )
    outputs.pop()
    await check(['reset', '--yes', '--api-key', adder.key], {}, 1, /needs the admin scope/)
    await check(['reset', '--yes'], {}, 1, /needs an API key with the admin scope/)
    await check(['dlq', 'redrive', '--dry-run', '--api-key', reader.key], {}, 1, /needs the admin scope/)
    assert.ok((await requestCount(system)) > 0)
    await check(['reset', '--yes', '--api-key', admin.key], {}, 0, /holds no requests/)
    assert.equal(await requestCount(system), 0)

    const created = await run(['keys', 'create', '--scopes', 'add,read', '--id', 'ci'])
    assert.equal(created.code, 0)
    const [, key] = /^key: +(\S+)$/m.exec(created.output) ?? []
    const [, entry] = /^entry: +(\S+)$/m.exec(created.output) ?? []
    assert.ok(key !== undefined && entry !== undefined)
    assert.match(entry, /^ci:add\+read:[0-9a-f]{64}$/)

    for (const output of outputs) {
      for (const secret of [adder.key, adderNext.key, reader.key, admin.key, wrongKey, loader.key])
        assert.ok(!output.includes(secret), `a key in the output of a command: ${output}`)
    }
  })
})
