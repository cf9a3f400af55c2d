import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import tls from 'node:tls'
import * as grpc from '@grpc/grpc-js'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { defer } from './cleanup.ts'
import { createTestCertificates, type TestCertificates } from './tls-certificates.ts'

// Clients for the TLS tests: gRPC with or without TLS, the certificate a port
// presents, plaintext HTTP on a TLS port, HTTPS with a client certificate.

/** A throwaway CA and server certificate in a temp dir removed after the test. */
export async function certificates(t: TestContext): Promise<TestCertificates & { dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'summa-tls-'))
  defer(t, () => rm(dir, { recursive: true, force: true }))
  return { dir, ...(await createTestCertificates(dir)) }
}

export function tlsClient(t: TestContext, port: number, ca: Buffer, pair?: { cert: Buffer; key: Buffer }) {
  const credentials = grpc.credentials.createSsl(ca, pair?.key ?? null, pair?.cert ?? null)
  const client = new CalculatorClient(`127.0.0.1:${port}`, {}, credentials)
  defer(t, () => client.close())
  return client
}

export function plaintextClient(t: TestContext, port: number) {
  const client = new CalculatorClient(`127.0.0.1:${port}`)
  defer(t, () => client.close())
  return client
}

/** The serial of the certificate a port presents to a new TLS connection (ALPN as asked). */
export function servedSerial(port: number, ca: Buffer, alpn: string): Promise<bigint> {
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
export function plaintextGet(port: number, route: string): Promise<number> {
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
export function mtlsGet(
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
