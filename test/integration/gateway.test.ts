import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { readLedger } from '../../src/shared/ledger.ts'
import { verify } from '../../src/verify/verify.ts'
import { TrafficDriver } from '../faults/driver.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { accessLogOf, startGateway } from '../helpers/gateway.ts'
import { healthCheck, listServices } from '../helpers/grpc.ts'
import { http2Get, httpsGet, snapshotTimes } from '../helpers/http-clients.ts'
import { killGroup, type SpawnedSumma, spawnSumma } from '../helpers/processes.ts'
import { seedAdd } from '../helpers/seed-clients.ts'
import { createTestSystem, getJson, processEnv, type TestSystem } from '../helpers/system.ts'
import { createTestCertificates } from '../helpers/tls-certificates.ts'

/**
 * deploy/nginx as summa's gateway, run by Debian's nginx in front of real
 * summa processes on real PostgreSQL and Kafka (docs/DEPLOYMENT.md, "The
 * gateway (nginx)").
 */
describe('the nginx gateway', () => {
  it('routes gRPC, REST and the unbuffered console feed, in the clear and over TLS', async (t) => {
    const system = await createTestSystem(t)
    const [calculator] = await startCalculators(t, system, 1)
    const aggregator = await startRelayAndAggregator(t, system)
    const certDir = await mkdtemp(path.join(tmpdir(), 'summa-certs-'))
    defer(t, () => rm(certDir, { recursive: true, force: true }))
    const certs = await createTestCertificates(certDir)
    const gateway = await startGateway(t, {
      calculators: [calculator!.port],
      aggregators: [aggregator.port],
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
    })
    const h2c = `127.0.0.1:${gateway.grpcPort}`
    const tls = `127.0.0.1:${gateway.tlsPort}`
    // Clients name the server as they would in production (by DNS name, here localhost) and trust the CA.
    const tlsChannel = () => ({
      credentials: grpc.credentials.createSsl(certs.ca),
      options: { 'grpc.ssl_target_name_override': 'localhost' },
    })

    // gRPC over h2c (9090) and over TLS (8443): one Add through each, the same
    // request id again through the other (a replay), health and reflection.
    const plain = new CalculatorClient(h2c)
    defer(t, () => plain.close())
    const secure = new CalculatorClient(tls, tlsChannel().options, tlsChannel().credentials)
    defer(t, () => secure.close())
    const id = randomUUID()
    const first = await plain.add({ requestId: id, num1: '40', num2: '2' })
    assert.deepEqual([first.sum, first.replayed], ['42', false])
    const again = await secure.add({ requestId: id, num1: '40', num2: '2' })
    assert.deepEqual([again.sum, again.replayed], ['42', true])
    const second = await secure.add({ requestId: randomUUID(), num1: '1', num2: '2' })
    assert.deepEqual([second.sum, second.replayed], ['3', false])
    // The seed projects' contracts take the same routes (9090: every path; 8443: by service name).
    assert.equal(await seedAdd(t, '001', gateway.grpcPort, 2, 3), 5)
    assert.equal(await seedAdd(t, '003', gateway.tlsPort!, 4, 6, undefined, tlsChannel()), 10)
    for (const [address, channel] of [
      [h2c, {}],
      [tls, tlsChannel()],
    ] as const) {
      assert.equal(await healthCheck(address, '', channel), 'SERVING')
      assert.equal(await healthCheck(address, 'summa.v1.CalculatorService', channel), 'SERVING')
      for (const version of ['v1', 'v1alpha'] as const)
        assert.ok(
          (await listServices(address, channel, version)).includes('summa.v1.CalculatorService'),
          `reflection ${version} through ${address}`,
        )
    }

    // REST: HTTP/1.1 in the clear, and HTTP/1.1 and HTTP/2 over TLS (ALPN picks).
    await eventually(
      async () => assert.equal((await getJson<Totals>(gateway.httpPort, '/total')).body.total, '60'),
      60_000,
    )
    const overTls = await httpsGet(gateway.tlsPort!, '/total', certs.ca)
    assert.deepEqual(
      [overTls.status, overTls.alpn, (JSON.parse(overTls.body) as Totals).total],
      [200, 'http/1.1', '60'],
    )
    const overH2 = await http2Get(gateway.tlsPort!, '/total', certs.ca)
    assert.deepEqual(
      [overH2.status, overH2.alpn, (JSON.parse(overH2.body) as Totals).total],
      [200, 'h2', '60'],
    )
    assert.deepEqual(await getJson(gateway.httpPort, '/nginx-health'), {
      status: 200,
      body: { status: 'pass' },
      type: 'application/health+json',
    })
    assert.equal((await getJson(gateway.httpPort, '/health')).status, 200, "the aggregators' own health")

    // The console feed, one snapshot a second: each must arrive when written,
    // not when a proxy buffer fills.
    const feeds = {
      http: await snapshotTimes(`http://127.0.0.1:${gateway.httpPort}/console/events`),
      https: await snapshotTimes(`https://127.0.0.1:${gateway.tlsPort}/console/events`, certs.ca),
    }
    for (const [scheme, [firstMs, secondMs]] of Object.entries(feeds)) {
      assert.ok(firstMs! < 2000, `${scheme}: first snapshot after ${firstMs} ms`)
      assert.ok(secondMs! - firstMs! < 2000, `${scheme}: second snapshot ${secondMs! - firstMs!} ms later`)
    }

    // The access log is JSON lines (for Loki) and shows each Add's gRPC status.
    const entries = await accessLogOf(gateway)
    const adds = entries.filter((entry) => entry.uri === '/summa.v1.CalculatorService/Add')
    assert.deepEqual(
      adds.map((entry) => [entry.port, entry.status, entry.grpc_status]),
      [
        [String(gateway.grpcPort), 200, '0'],
        [String(gateway.tlsPort), 200, '0'],
        [String(gateway.tlsPort), 200, '0'],
      ],
    )
    t.diagnostic(
      `console feed through the gateway: first and second snapshot after ${JSON.stringify(feeds)} ms`,
    )
  })

  it('kill -9 of one of two calculators under load: no failed Add, 0 lost, 0 duplicated, 0 phantom', async (t) => {
    const system = await createTestSystem(t)
    const [victim, survivor] = await startCalculators(t, system, 2)
    const aggregator = await startRelayAndAggregator(t, system)
    const gateway = await startGateway(t, {
      calculators: [victim!.port, survivor!.port],
      aggregators: [aggregator.port],
    })
    const ledgerFile = path.join(system.dataDir, 'ledger.jsonl')
    // The fault suite's careful client: a request without an answer (UNAVAILABLE,
    // deadline) is retried with its request id until it is answered.
    const driver = new TrafficDriver({
      address: `127.0.0.1:${gateway.grpcPort}`,
      ledgerFile,
      ratePerSecond: 100,
      deadlineMs: 2000,
    })
    driver.start()
    defer(t, () => driver.stop())
    await eventually(() => assert.ok(driver.stats.ok >= 200), 60_000)

    // Stopped first so that calls are certainly in flight on it when it dies:
    // nginx has sent them and the calculator has not read them.
    killGroup(victim!.process.child, 'SIGSTOP')
    // About 2 KB: several calls (headers and message about 200 bytes each).
    await eventually(
      () => assert.ok(unreadBytes(victim!.port) >= 2000, 'calls waiting on the stopped calculator'),
      10_000,
      5,
    )
    killGroup(victim!.process.child, 'SIGKILL')
    await victim!.process.exited
    // nginx skips the dead replica for fail_timeout (5 s) after its failures,
    // then tries it again: that call finds the port refused and must be moved.
    const survivorAddress = `127.0.0.1:${survivor!.port}`
    const movedCalls = async () =>
      (await accessLogOf(gateway)).filter((entry) => entry.upstream_addr.includes(','))
    await eventually(
      async () => assert.ok((await movedCalls()).length > 0, 'a call moved by nginx'),
      30_000,
      200,
    )
    const okAfterMove = driver.stats.ok
    await eventually(() => assert.ok(driver.stats.ok >= okAfterMove + 300), 60_000)
    const sent = await driver.stop()

    const failedAttempts = new Map<string, number>()
    const requests = new Set<string>()
    const answered = new Set<string>()
    for await (const entry of readLedger(ledgerFile)) {
      requests.add(entry.requestId)
      if (entry.outcome === 'ok') answered.add(entry.requestId)
      else failedAttempts.set(entry.code, (failedAttempts.get(entry.code) ?? 0) + 1)
    }
    assert.equal(sent.unresolved, 0)
    assert.equal(answered.size, requests.size, 'every Add was eventually answered OK')
    // The only failures a client may see: UNAVAILABLE (retry with the same id),
    // deadlines (4 % of requests are first sent with a 1 ms one on purpose), and
    // INTERNAL for a call whose answer had begun to pass nginx when the
    // calculator died: nginx can then only reset the stream (RST_STREAM
    // INTERNAL_ERROR), the outcome is unknown, and the client retries with the
    // same id like any unknown outcome. Each one is answered in the end (above).
    const expectedFailures = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL'])
    assert.deepEqual(
      [...failedAttempts.keys()].filter((code) => !expectedFailures.has(code)),
      [],
    )

    // What nginx did: calls in flight on the killed calculator answered 502
    // (the client's UNAVAILABLE above), and calls it moved to the survivor
    // because the dead one refused the connection.
    const entries = await accessLogOf(gateway)
    const moved = entries.filter((entry) => entry.upstream_addr.includes(','))
    const badGateway = entries.filter((entry) => entry.status === 502)
    const errors = await gateway.errorLog()
    const inFlight = count(errors, /Connection reset by peer|prematurely closed/g)
    const refused = count(errors, /Connection refused/g)
    assert.ok(inFlight >= 1, 'calls were in flight on the killed calculator')
    assert.ok(
      moved.every((entry) => entry.upstream_addr.endsWith(survivorAddress)),
      'every moved call ended on the survivor',
    )
    assert.ok(
      badGateway.every((entry) => !entry.upstream_addr.includes(survivorAddress)),
      'only the killed calculator failed calls',
    )

    const report = await verify({
      sql: system.db.sql,
      topic: system.topic,
      ledgerFile,
      auditFile: path.join(system.dataDir, 'audit.jsonl'),
      settleMs: 90_000,
    })
    assert.deepEqual(
      { ok: report.ok, lost: report.lost, duplicated: report.duplicated, phantom: report.phantom },
      { ok: true, lost: 0, duplicated: 0, phantom: 0 },
      JSON.stringify(report.examples),
    )
    t.diagnostic(
      `requests ${report.requests}, attempts ${report.attempts}, acknowledged ${report.acknowledged}; ` +
        `client retries after ${JSON.stringify(Object.fromEntries(failedAttempts))}; ` +
        `nginx: ${badGateway.length} calls answered 502 (${inFlight} connection resets in flight), ` +
        `${moved.length} moved to the survivor (${refused} connections refused); ` +
        `lost ${report.lost}, duplicated ${report.duplicated}, phantom ${report.phantom}`,
    )
  })
})

interface Totals {
  total: string
}

interface Replica {
  port: number
  process: SpawnedSumma
}

async function startCalculators(
  t: Parameters<typeof defer>[0],
  system: TestSystem,
  replicas: number,
): Promise<Replica[]> {
  const started: Replica[] = []
  for (let i = 0; i < replicas; i++) {
    const env = await processEnv(system, { SUMMA_LOG_LEVEL: 'warn' })
    started.push({ port: Number(env.SUMMA_GRPC_PORT), process: spawnSumma(t, ['calculator'], env) })
  }
  for (const { port } of started)
    await eventually(async () => assert.equal(await healthCheck(`127.0.0.1:${port}`), 'SERVING'), 60_000, 200)
  return started
}

async function startRelayAndAggregator(t: Parameters<typeof defer>[0], system: TestSystem): Promise<Replica> {
  spawnSumma(t, ['relay'], await processEnv(system, { SUMMA_LOG_LEVEL: 'warn' }))
  const env = await processEnv(system, { SUMMA_LOG_LEVEL: 'warn' })
  const aggregator = { port: Number(env.SUMMA_HTTP_PORT), process: spawnSumma(t, ['aggregator'], env) }
  await eventually(
    async () => assert.equal((await getJson(aggregator.port, '/health')).status, 200),
    60_000,
    200,
  )
  return aggregator
}

/** Bytes received and not yet read on 127.0.0.1:`port`'s established connections (/proc/net/tcp). */
function unreadBytes(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
  let unread = 0
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields[1] === local && fields[3] === '01') unread += Number.parseInt(fields[4]!.split(':')[1]!, 16)
  }
  return unread
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0
}
