import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import tls from 'node:tls'
import * as grpc from '@grpc/grpc-js'
import { addCommand } from '../../src/cli/add-command.ts'
import { loadConfig } from '../../src/shared/config.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { httpsGet } from '../helpers/http-clients.ts'
import { longestLife, rawConnection, waitClosed } from '../helpers/raw-connections.ts'
import { createTestSystem, startTestCalculator } from '../helpers/system.ts'
import { issueCertificate } from '../helpers/tls-certificates.ts'
import { certificates, mtlsGet, plaintextClient, tlsClient } from '../helpers/tls-clients.ts'

describe('TLS connections', () => {
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
