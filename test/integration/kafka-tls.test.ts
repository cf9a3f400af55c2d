import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type Config, loadConfig } from '../../src/shared/config.ts'
import { createAdmin, type KafkaConnection, kafkaConnectionOf } from '../../src/shared/kafka.ts'
import { Supervised } from '../faults/supervisor.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { freePort } from '../helpers/ports.ts'
import { calculatorClient, createTestSystem, getJson, startTestPipeline } from '../helpers/system.ts'
import { createTestCertificates, issueCertificate } from '../helpers/tls-certificates.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

/**
 * A broker of the test's own with an SSL listener beside its PLAINTEXT one
 * (PEM key store and trust store, Kafka 4's ssl.keystore.type=PEM) that
 * requires a client certificate its CA signed. The shared test broker is
 * not touched.
 */
async function tlsBroker(t: TestContext) {
  const dir = await mkdtemp(path.join(tmpdir(), 'summa-kafka-tls-'))
  defer(t, () => rm(dir, { recursive: true, force: true }))
  const certs = await createTestCertificates(dir)
  // Kafka's PEM key store: the private key (PKCS#8) and the certificate chain in one file.
  const keystore = path.join(dir, 'broker-keystore.pem')
  await writeFile(
    keystore,
    `${await readFile(certs.keyFile, 'utf8')}${await readFile(certs.certFile, 'utf8')}`,
  )
  const client = await issueCertificate(dir, 'client', 'client', 'summa-client')
  const [plainPort, controllerPort, tlsPort] = [await freePort(), await freePort(), await freePort()]
  const listeners = `PLAINTEXT://127.0.0.1:${plainPort},CONTROLLER://127.0.0.1:${controllerPort},SSL://127.0.0.1:${tlsPort}`
  const overrides = {
    listeners,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${plainPort},SSL://127.0.0.1:${tlsPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': keystore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': path.join(dir, 'ca.crt'),
    'ssl.client.auth': 'required',
  }
  const broker = new Supervised({
    name: 'kafka-tls',
    command: path.join(root, 'scripts/kafka/run.sh'),
    args: Object.entries(overrides).flatMap(([key, value]) => ['--override', `${key}=${value}`]),
    env: {
      ...process.env,
      SUMMA_DATA_DIR: path.join(dir, 'data'),
      KAFKA_PORT: String(plainPort),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_HEAP: '384m',
    },
    logFile: path.join(dir, 'kafka-broker.log'),
  })
  defer(t, () => broker.stop(30_000))
  broker.start()
  const settings = {
    KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${tlsPort}`,
    KAFKA_TLS_CA_FILE: path.join(dir, 'ca.crt'),
    KAFKA_TLS_CERT_FILE: client.certFile,
    KAFKA_TLS_KEY_FILE: client.keyFile,
  }
  const connection = kafkaConnectionOf(loadConfig(settings))
  await eventually(() => listTopics(settings.KAFKA_BOOTSTRAP_SERVERS, connection), 180_000, 500)
  return { settings, connection, tlsPort, caFile: path.join(dir, 'ca.crt'), dir }
}

async function listTopics(bootstrap: string, connection: KafkaConnection): Promise<string[]> {
  const admin = createAdmin([bootstrap], 'summa-tls-test', connection)
  try {
    return await admin.listTopics()
  } finally {
    await admin.close().catch(() => {})
  }
}

describe('Kafka over TLS', () => {
  it('relays and aggregates through an SSL listener that requires a client certificate; others are refused', async (t) => {
    const broker = await tlsBroker(t)
    const bootstrap = broker.settings.KAFKA_BOOTSTRAP_SERVERS

    // Refused: plaintext on the SSL port, TLS without a client certificate, a broker certificate from another CA.
    await assert.rejects(listTopics(bootstrap, {}))
    const ca = await readFile(broker.caFile)
    await assert.rejects(listTopics(bootstrap, { tls: { ca, rejectUnauthorized: true } }))
    const foreignDir = await mkdtemp(path.join(tmpdir(), 'summa-foreign-ca-'))
    defer(t, () => rm(foreignDir, { recursive: true, force: true }))
    const foreign = await createTestCertificates(foreignDir)
    await assert.rejects(
      listTopics(bootstrap, { tls: { ...broker.connection.tls, ca: foreign.ca, rejectUnauthorized: true } }),
    )

    const system = await createTestSystem(t, broker.settings)
    const config: Config = system.config
    const { calculator, aggregator } = await startTestPipeline(t, config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    assert.equal((await client.add({ requestId: randomUUID(), num1: '40', num2: '2' })).sum, '42')
    await eventually(async () => {
      const { body } = await getJson<{ total: string }>(aggregator.running.httpPort, '/total')
      assert.equal(body.total, '42')
    }, 60_000)
    assert.ok((await listTopics(bootstrap, broker.connection)).includes(system.topic))
  })
})
