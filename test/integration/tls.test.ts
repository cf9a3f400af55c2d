import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { copyFile, readFile, rename } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { pino } from 'pino'
import { addCommand } from '../../src/cli/add-command.ts'
import { totalCommand } from '../../src/cli/total-command.ts'
import { loadCommand } from '../../src/load/load-command.ts'
import { loadConfig } from '../../src/shared/config.ts'
import { watchServerTls } from '../../src/shared/tls/server-tls.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { httpsGet, snapshotTimes } from '../helpers/http-clients.ts'
import { createTestSystem, startTestPipeline } from '../helpers/system.ts'
import { issueCertificate } from '../helpers/tls-certificates.ts'
import {
  certificates,
  plaintextClient,
  plaintextGet,
  servedSerial,
  tlsClient,
} from '../helpers/tls-clients.ts'

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
      undefined,
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
})
