import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { copyFile, mkdtemp, readFile, rename, rm } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import tls from 'node:tls'
import * as grpc from '@grpc/grpc-js'
import { pino } from 'pino'
import { CalculatorClient } from '../../src/cli/calculator-client.ts'
import { addCommand, totalCommand } from '../../src/cli/commands.ts'
import { loadCommand } from '../../src/load/load-command.ts'
import { loadConfig } from '../../src/shared/config.ts'
import { watchServerTls } from '../../src/shared/tls/server-tls.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { httpsGet, snapshotTimes } from '../helpers/http-clients.ts'
import { longestLife, rawConnection, waitClosed } from '../helpers/raw-connections.ts'
import { createTestSystem, startTestCalculator, startTestPipeline } from '../helpers/system.ts'
import {
  createTestCertificates,
  issueCertificate,
  type TestCertificates,
} from '../helpers/tls-certificates.ts'

async function certificates(t: TestContext): Promise<TestCertificates & { dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'summa-tls-'))
  defer(t, () => rm(dir, { recursive: true, force: true }))
  return { dir, ...(await createTestCertificates(dir)) }
}

function tlsClient(t: TestContext, port: number, ca: Buffer, pair?: { cert: Buffer; key: Buffer }) {
  const credentials = grpc.credentials.createSsl(ca, pair?.key ?? null, pair?.cert ?? null)
  const client = new CalculatorClient(`127.0.0.1:${port}`, {}, credentials)
  defer(t, () => client.close())
  return client
}

function plaintextClient(t: TestContext, port: number) {
  const client = new CalculatorClient(`127.0.0.1:${port}`)
  defer(t, () => client.close())
  return client
}

/** The serial of the certificate a port presents to a new TLS connection (ALPN as asked). */
function servedSerial(port: number, ca: Buffer, alpn: string): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: [alpn] },
      () => {
        const serial = BigInt(`0x${socket.getPeerCertificate().serialNumber}`)
        socket.destroy()
        resolve(serial)
      },
    )
    socket.on('error', reject)
  })
}

/** A plaintext HTTP GET: on a TLS port it must fail, never answer. */
function plaintextGet(port: number, route: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: route, timeout: 5000 }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('timeout', () => request.destroy(new Error('timeout')))
    request.on('error', reject)
  })
}

/** GET over TLS presenting a client certificate; resolves with the status. */
function mtlsGet(
  port: number,
  route: string,
  ca: Buffer,
  pair: { cert: Buffer; key: Buffer },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: '127.0.0.1', port, path: route, ca, servername: 'localhost', ...pair, timeout: 5000 },
      (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      },
    )
    request.on('timeout', () => request.destroy(new Error('timeout')))
    request.on('error', reject)
  })
}

describe('TLS', () => {
  it('serves Add, /total and the console over TLS, refuses plaintext, and reloads a changed certificate', async (t) => {
    const certs = await certificates(t)
    const system = await createTestSystem(t, {
      SUMMA_TLS_CERT_FILE: certs.certFile,
      SUMMA_TLS_KEY_FILE: certs.keyFile,
    })
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const grpcPort = calculator.running.grpcPort
    const httpPort = aggregator.running.httpPort

    const client = tlsClient(t, grpcPort, certs.ca)
    const answer = await client.add({ requestId: randomUUID(), num1: '40', num2: '2' })
    assert.equal(answer.sum, '42')
    await eventually(async () => {
      const total = await httpsGet(httpPort, '/total', certs.ca)
      assert.equal(total.status, 200)
      assert.equal(JSON.parse(total.body).total, '42')
    }, 30_000)
    const times = await snapshotTimes(`https://127.0.0.1:${httpPort}/console/events`, certs.ca)
    assert.equal(times.length, 2)

    // The CLI, trusting the CA the way an operator would configure it.
    const cliConfig = loadConfig({
      SUMMA_GRPC_PORT: String(grpcPort),
      SUMMA_HTTP_PORT: String(httpPort),
      SUMMA_TLS_CA_FILE: path.join(certs.dir, 'ca.crt'),
    })
    const lines: string[] = []
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) }
    assert.equal(await addCommand(cliConfig, { num1: '1', num2: '2' }, io), 0, lines.join('\n'))
    await eventually(async () => {
      lines.length = 0
      assert.equal(await totalCommand(cliConfig, io), 0, lines.join('\n'))
      assert.equal(JSON.parse(lines[0]!).total, '45')
    }, 30_000)

    // summa load, with the same settings: Adds over TLS and GET /total over HTTPS, no error.
    const reports: string[] = []
    const loadIo = {
      out: (line: string) => reports.push(line),
      err: (line: string) => reports.push(line),
      progress: () => {},
    }
    const loaded = await loadCommand(
      cliConfig,
      ['--rate', '20', '--duration', '2s', '--mix', 'add=50,total=50', '--max-error-rate', '0', '--quiet'],
      loadIo,
    )
    assert.equal(loaded, 0, reports.join('\n'))
    assert.match(reports.join('\n'), / 0 errors /)

    // Plaintext on the TLS ports: refused, never answered.
    await assert.rejects(
      plaintextClient(t, grpcPort).add({ requestId: randomUUID(), num1: '1', num2: '1', deadlineMs: 3000 }),
      (error: { code?: number }) => error.code === grpc.status.UNAVAILABLE,
    )
    await assert.rejects(plaintextGet(httpPort, '/total'))
    await assert.rejects(plaintextGet(calculator.running.httpPort, '/health'))
    // A TLS client that does not ask for h2 cannot speak gRPC: refused at the handshake.
    await assert.rejects(servedSerial(grpcPort, certs.ca, 'http/1.1'))

    // Reload: a new certificate from the same CA, moved into place as a renewal tool does.
    const renewed = await issueCertificate(certs.dir, 'renewed', 'server', 'localhost')
    await copyFile(renewed.keyFile, `${certs.keyFile}.new`)
    await copyFile(renewed.certFile, `${certs.certFile}.new`)
    await rename(`${certs.keyFile}.new`, certs.keyFile)
    await rename(`${certs.certFile}.new`, certs.certFile)
    await eventually(async () => {
      assert.equal(await servedSerial(grpcPort, certs.ca, 'h2'), renewed.serial)
      assert.equal(await servedSerial(httpPort, certs.ca, 'http/1.1'), renewed.serial)
    }, 20_000)
    const afterReload = tlsClient(t, grpcPort, certs.ca)
    assert.equal((await afterReload.add({ requestId: randomUUID(), num1: '5', num2: '5' })).sum, '10')
  })

  it('refuses a certificate change that does not load, with a log line, and keeps the one in use', async (t) => {
    const certs = await certificates(t)
    const lines: Array<{ msg: string; reason?: string }> = []
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const watched = await watchServerTls({
      certFile: certs.certFile,
      keyFile: certs.keyFile,
      log,
      debounceMs: 50,
    })
    defer(t, () => watched.close())
    const first = watched.describe().serialNumber
    const reloads: string[] = []
    watched.onReload(() => reloads.push(watched.describe().serialNumber))

    // A certificate whose key is not the key file's: refused, the first pair stays.
    const stray = await issueCertificate(certs.dir, 'stray', 'server', 'localhost')
    await copyFile(stray.certFile, certs.certFile)
    const refused = await eventually(() => {
      const line = lines.find((entry) => entry.msg.startsWith('TLS certificate change refused'))
      assert.ok(line, 'no refusal logged')
      return line
    })
    assert.ok((refused.reason ?? '').length > 0)
    assert.equal(watched.describe().serialNumber, first)
    assert.deepEqual(reloads, [])
    // Its key arrives: now the pair loads.
    await copyFile(stray.keyFile, certs.keyFile)
    await eventually(() => assert.equal(BigInt(`0x${watched.describe().serialNumber}`), stray.serial))
    assert.equal(reloads.length, 1)
    // Nothing of the key in any line.
    const key = (await readFile(stray.keyFile, 'utf8')).split('\n')[1]!
    assert.ok(!JSON.stringify(lines).includes(key))
  })

  it("keeps the handshake deadline and connection cap on TLS ports, the seeds' ports included", async (t) => {
    const certs = await certificates(t)
    const system = await createTestSystem(t, {
      SUMMA_TLS_CERT_FILE: certs.certFile,
      SUMMA_TLS_KEY_FILE: certs.keyFile,
      SUMMA_HANDSHAKE_TIMEOUT_MS: '1000',
      SUMMA_GRPC_MAX_CONNECTIONS: '3',
      SUMMA_COMPAT_PORTS: 'true',
      SUMMA_COMPAT_GRPC_PORTS: '0',
    })
    const calculator = await startTestCalculator(t, system.config)
    const { grpcPort, httpPort, compatGrpcPorts } = calculator.running
    const compatPort = compatGrpcPorts[0]!

    // The seeds' port is the same TLS listener.
    assert.equal(
      (await tlsClient(t, compatPort, certs.ca).add({ requestId: randomUUID(), num1: '1', num2: '2' })).sum,
      '3',
    )
    await assert.rejects(
      plaintextClient(t, compatPort).add({ requestId: randomUUID(), num1: '1', num2: '1', deadlineMs: 3000 }),
      (error: { code?: number }) => error.code === grpc.status.UNAVAILABLE,
    )

    // Silent before the TLS handshake, or after it without the HTTP/2 preface: closed at the deadline.
    const silent = [rawConnection(t, grpcPort, Buffer.alloc(0)), rawConnection(t, httpPort, Buffer.alloc(0))]
    const shookHands = tls.connect({
      host: '127.0.0.1',
      port: grpcPort,
      ca: certs.ca,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
    })
    shookHands.on('error', () => {})
    defer(t, () => shookHands.destroy())
    const secured = await new Promise<number>((resolve) =>
      shookHands.once('secureConnect', () => resolve(Date.now())),
    )
    const shookHandsClosed = new Promise<number>((resolve) =>
      shookHands.once('close', () => resolve(Date.now())),
    )
    await waitClosed(silent, 10_000)
    assert.ok(longestLife(silent) < 3000, `open ${longestLife(silent)} ms`)
    const afterHandshakeMs = (await shookHandsClosed) - secured
    assert.ok(afterHandshakeMs < 3000)
    t.diagnostic(
      `silent before TLS closed after ≤ ${longestLife(silent)} ms; silent after it, ${afterHandshakeMs} ms`,
    )
    // A TLS client that offers no ALPN at all shakes hands, then is closed: gRPC needs h2.
    const noAlpn = tls.connect({ host: '127.0.0.1', port: grpcPort, ca: certs.ca, servername: 'localhost' })
    noAlpn.on('error', () => {})
    defer(t, () => noAlpn.destroy())
    const noAlpnSecured = await new Promise<number>((resolve) =>
      noAlpn.once('secureConnect', () => resolve(Date.now())),
    )
    await new Promise((resolve) => noAlpn.once('close', resolve))
    assert.ok(Date.now() - noAlpnSecured < 500, 'closed at once, not at the handshake deadline')

    // The cap counts connections still in their TLS handshake: one over it is closed at once.
    const held = [0, 1, 2].map(() => rawConnection(t, grpcPort, Buffer.alloc(0)))
    await eventually(() => assert.ok(held.every((connection) => connection.connectedAt !== undefined)))
    const over = rawConnection(t, grpcPort, Buffer.alloc(0))
    await waitClosed([over], 5000)
    assert.ok(longestLife([over]) < 500, `over the cap, open ${longestLife([over])} ms`)
    t.diagnostic(`one over a cap of 3 closed after ${longestLife([over])} ms`)
    assert.ok(
      held.some((connection) => connection.closedAt === undefined || connection.closedAt > over.closedAt!),
    )
  })

  it('with a client CA, refuses clients without a certificate it signed (mTLS)', async (t) => {
    const certs = await certificates(t)
    const caFile = path.join(certs.dir, 'ca.crt')
    const system = await createTestSystem(t, {
      SUMMA_TLS_CERT_FILE: certs.certFile,
      SUMMA_TLS_KEY_FILE: certs.keyFile,
      SUMMA_TLS_CLIENT_CA_FILE: caFile,
    })
    const calculator = await startTestCalculator(t, system.config)
    const { grpcPort, httpPort } = calculator.running
    const issued = await issueCertificate(certs.dir, 'client', 'client', 'summa-client')
    const pair = { cert: await readFile(issued.certFile), key: await readFile(issued.keyFile) }

    await assert.rejects(
      tlsClient(t, grpcPort, certs.ca).add({
        requestId: randomUUID(),
        num1: '1',
        num2: '1',
        deadlineMs: 3000,
      }),
      (error: { code?: number }) => error.code === grpc.status.UNAVAILABLE,
    )
    const answer = await tlsClient(t, grpcPort, certs.ca, pair).add({
      requestId: randomUUID(),
      num1: '2',
      num2: '3',
    })
    assert.equal(answer.sum, '5')

    // A certificate from another CA is refused just the same.
    const foreign = await certificates(t)
    const stranger = await issueCertificate(foreign.dir, 'client', 'client', 'summa-client')
    const strangerPair = { cert: await readFile(stranger.certFile), key: await readFile(stranger.keyFile) }
    await assert.rejects(
      tlsClient(t, grpcPort, certs.ca, strangerPair).add({
        requestId: randomUUID(),
        num1: '1',
        num2: '1',
        deadlineMs: 3000,
      }),
      (error: { code?: number }) => error.code === grpc.status.UNAVAILABLE,
    )

    await assert.rejects(httpsGet(httpPort, '/health', certs.ca))
    assert.equal(await mtlsGet(httpPort, '/health', certs.ca, strangerPair).catch(() => 'refused'), 'refused')
    assert.equal(await mtlsGet(httpPort, '/health', certs.ca, pair), 200)
    const lines: string[] = []
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) }
    const cliConfig = loadConfig({
      SUMMA_GRPC_PORT: String(grpcPort),
      SUMMA_TLS_CA_FILE: caFile,
      SUMMA_TLS_CLIENT_CERT_FILE: issued.certFile,
      SUMMA_TLS_CLIENT_KEY_FILE: issued.keyFile,
    })
    assert.equal(await addCommand(cliConfig, { num1: '3', num2: '4' }, io), 0, lines.join('\n'))
    assert.equal(JSON.parse(lines[0]!).sum, '7')
  })
})
