import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Consumer } from '@platformatic/kafka'
import { type KafkaSasl, loadConfig } from '../../src/shared/config.ts'
import { deadLetterTopicOf } from '../../src/shared/dead-letter-topic.ts'
import { createProducer, kafkaAnswers } from '../../src/shared/kafka.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { eventually } from '../helpers/eventually.ts'
import { freePort } from '../helpers/ports.ts'
import { builtSummaEntry, spawnSumma } from '../helpers/processes.ts'
import {
  calculatorClient,
  getJson,
  startTestAggregator,
  startTestCalculator,
  startTestRelay,
  testServiceSettings,
} from '../helpers/system.ts'

/**
 * A broker of this file's own, started as `make up` would start an
 * authenticated one (KAFKA_SASL=true scripts/kafka/run.sh): SCRAM-SHA-512 users
 * for the admin, the relay and the aggregator, ACLs by `summa migrate`.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
let broker: ChildProcess | undefined
let dataDir = ''
let bootstrap = ''
const users = { admin: {} as KafkaSasl, relay: {} as KafkaSasl, aggregator: {} as KafkaSasl }

function sasl(prefix: 'ADMIN' | 'RELAY' | 'AGGREGATOR', file: Map<string, string>): KafkaSasl {
  return {
    mechanism: 'SCRAM-SHA-512',
    username: file.get(`KAFKA_${prefix}_USERNAME`)!,
    password: file.get(`KAFKA_${prefix}_PASSWORD`)!,
  }
}

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'summa-sasl-'))
  const port = await freePort()
  const controllerPort = await freePort()
  bootstrap = `127.0.0.1:${port}`
  const log = createWriteStream(path.join(dataDir, 'broker.log'))
  broker = spawn(path.join(root, 'scripts/kafka/run.sh'), [], {
    env: {
      ...process.env,
      SUMMA_DATA_DIR: dataDir,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_SASL: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  broker.stdout?.pipe(log)
  broker.stderr?.pipe(log)
  const usersFile = path.join(dataDir, 'kafka-users.env')
  const text = await eventually(() => readFile(usersFile, 'utf8'), 30_000)
  const file = new Map(
    text
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  )
  users.admin = sasl('ADMIN', file)
  users.relay = sasl('RELAY', file)
  users.aggregator = sasl('AGGREGATOR', file)
  await eventually(
    async () =>
      assert.ok(await kafkaAnswers([bootstrap], 'summa-test', { sasl: users.admin }), 'the admin gets in'),
    180_000,
  )
})

after(async () => {
  if (broker !== undefined && broker.exitCode === null) {
    const exited = new Promise((resolve) => broker?.once('exit', resolve))
    broker.kill('SIGTERM')
    const timer = setTimeout(() => broker?.kill('SIGKILL'), 30_000)
    await exited
    clearTimeout(timer)
  }
  await rm(dataDir, { recursive: true, force: true })
})

/** kcat (Debian's package) as an anonymous client: no SASL, as on a plaintext broker. */
function kcatAnonymous(args: string[], input: string): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'kcat',
      ['-b', bootstrap, '-X', 'message.timeout.ms=5000', '-m', '5', ...args],
      { timeout: 30_000 },
      (error, _stdout, stderr) => resolve({ ok: error === null, stderr }),
    )
    child.stdin?.end(input)
  })
}

/** An error with everything it carries (nested errors, the broker's response), as text to match. */
function everything(error: unknown): string {
  const seen = new WeakSet<object>()
  return JSON.stringify(error, (_key, value: unknown) => {
    if (typeof value === 'bigint') return String(value)
    if (value instanceof Map) return Object.fromEntries(value)
    if (value instanceof Error) {
      if (seen.has(value)) return undefined
      seen.add(value)
      // Non-enumerable on errors, so named: nested errors and their cause.
      const nested = value as Error & { errors?: unknown; cause?: unknown }
      const { stack: _stack, ...own } = value as Error & Record<string, unknown>
      return { ...own, message: value.message, errors: nested.errors, cause: nested.cause }
    }
    return value
  })
}

/** The topic's records as the admin sees them (the end offsets of every partition, summed). */
async function recordCount(topic: string): Promise<bigint> {
  const consumer = new Consumer({
    groupId: `summa-test-${randomUUID()}`,
    clientId: 'summa-test-count',
    bootstrapBrokers: [bootstrap],
    sasl: users.admin,
  })
  try {
    const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? []
    return ends.reduce((total, offset) => total + offset, 0n)
  } finally {
    await consumer.close()
  }
}

async function migrate(
  t: Parameters<typeof spawnSumma>[0],
  databaseUrl: string,
  topic: string,
): Promise<void> {
  const run = spawnSumma(
    t,
    ['migrate'],
    {
      DATABASE_URL: databaseUrl,
      KAFKA_BOOTSTRAP_SERVERS: bootstrap,
      SUMMA_TOPIC: topic,
      SUMMA_CONSUMER_GROUP: `${topic}-aggregator`,
      KAFKA_SASL_USERNAME: users.admin.username,
      KAFKA_SASL_PASSWORD: users.admin.password,
      KAFKA_RELAY_USERNAME: users.relay.username,
      KAFKA_AGGREGATOR_USERNAME: users.aggregator.username,
      SUMMA_LOG_LEVEL: 'silent',
    },
    builtSummaEntry,
  )
  assert.equal((await run.exited).code, 0, run.output())
  assert.match(run.output(), /ACLs: 4 grants for User:summa-relay and User:summa-aggregator/)
}

describe('an authenticated broker (KAFKA_SASL=true)', () => {
  it('generates its users once, owner-only; refuses an anonymous producer; gives each service only its own rights', async (t) => {
    const mode = (await stat(path.join(dataDir, 'kafka-users.env'))).mode & 0o777
    assert.equal(mode, 0o600)
    const topic = `summa-sasl-${randomUUID().slice(0, 8)}`
    const db = await createTestDatabase(t)
    await migrate(t, db.url, topic)

    // Anonymous (kcat without SASL): not even a connection that lasts, let alone a write.
    const anonymous = await kcatAnonymous(['-P', '-t', topic, '-p', '0'], 'forged\n')
    assert.equal(anonymous.ok, false, 'kcat must fail')
    assert.match(anonymous.stderr, /SASL|authentication|Disconnected|failed/i)
    assert.equal(await recordCount(topic), 0n)

    // The relay writes the topic (idempotent, acks=all, as it runs) ...
    const relay = createProducer([bootstrap], 'summa-test-relay', { sasl: users.relay })
    t.after(() => relay.close())
    await relay.send({ messages: [{ topic, partition: 0, value: Buffer.from('from the relay') }] })
    assert.equal(await recordCount(topic), 1n)
    // ... and cannot read it.
    const relayReader = new Consumer({
      groupId: `${topic}-aggregator`,
      clientId: 'summa-test-relay-reader',
      bootstrapBrokers: [bootstrap],
      sasl: users.relay,
      retries: 0,
    })
    t.after(() => relayReader.close())
    const metadata = await relayReader.metadata({ topics: [topic] })
    const described = metadata.topics.get(topic)
    assert.ok(described !== undefined, 'WRITE implies DESCRIBE')
    const fetched = relayReader
      .fetch({
        node: described.partitions[0]!.leader,
        topics: [
          {
            topicId: described.id,
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 0n,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1_048_576,
              },
            ],
          },
        ],
        maxWaitTime: 100,
      })
      .then(
        (response) =>
          JSON.stringify(response, (_key, value) => (typeof value === 'bigint' ? String(value) : value)),
        (error: Error & { errors?: Error[] }) =>
          [error.message, ...(error.errors ?? []).map((inner) => inner.message)].join(' | '),
      )
    assert.match(await fetched, /authori[sz]|TOPIC_AUTHORIZATION_FAILED|errorCode":29/i)
    await assert.rejects(
      relayReader.consume({ topics: [topic] }),
      (error: Error & { errors?: Error[] }) => {
        assert.match(
          [error.message, ...(error.errors ?? []).map((inner) => inner.message)].join(' '),
          /authori[sz]/i,
        )
        return true
      },
      'nor join the aggregators’ group',
    )

    // The aggregator cannot write the topic, only its dead-letter topic.
    const aggregator = createProducer([bootstrap], 'summa-test-aggregator', { sasl: users.aggregator })
    t.after(() => aggregator.close())
    await assert.rejects(
      aggregator.send({ messages: [{ topic, partition: 0, value: Buffer.from('forged') }] }),
      (error: Error) => {
        // Kafka's TOPIC_AUTHORIZATION_FAILED is error code 29, in the produce response.
        assert.match(everything(error), /"errorCode":29\b|TOPIC_AUTHORIZATION_FAILED/, everything(error))
        return true
      },
    )
    await aggregator.send({
      messages: [{ topic: deadLetterTopicOf(topic), partition: 0, value: Buffer.from('a dead letter') }],
    })
    assert.equal(await recordCount(topic), 1n, 'nothing but the relay’s record')
    assert.equal(await recordCount(deadLetterTopicOf(topic)), 1n)
  })

  it('runs the pipeline with each service as its own principal: an Add reaches /total', async (t) => {
    const topic = `summa-sasl-${randomUUID().slice(0, 8)}`
    const db = await createTestDatabase(t)
    await migrate(t, db.url, topic)
    const dataDirOfSystem = await mkdtemp(path.join(tmpdir(), 'summa-sasl-system-'))
    t.after(() => rm(dataDirOfSystem, { recursive: true, force: true }))
    const base = {
      ...testServiceSettings({ databaseUrl: db.url, dataDir: dataDirOfSystem, topic }),
      KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    }
    const as = (user: KafkaSasl) =>
      loadConfig({ ...base, KAFKA_SASL_USERNAME: user.username, KAFKA_SASL_PASSWORD: user.password })
    const aggregator = await startTestAggregator(t, as(users.aggregator))
    await startTestRelay(t, as(users.relay))
    const calculator = await startTestCalculator(t, loadConfig(base))
    await calculatorClient(t, calculator.running.grpcPort).add({
      requestId: randomUUID(),
      num1: '20',
      num2: '22',
    })
    await eventually(async () => {
      const { body } = await getJson<{ total: string; appliedEvents: string }>(
        aggregator.running.httpPort,
        '/total',
      )
      assert.deepEqual([body.total, body.appliedEvents], ['42', '1'])
    }, 60_000)
    // Health needs the broker too: it passes with the services' own, narrow rights.
    await eventually(async () => {
      assert.equal((await getJson(aggregator.running.httpPort, '/health')).status, 200)
    }, 30_000)
  })
})
