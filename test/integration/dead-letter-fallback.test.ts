import assert from 'node:assert/strict'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import { encodeSumEvent, type SumEvent } from '../../src/shared/sum-event.ts'
import { signedHeaders } from '../helpers/event-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import {
  brokerSetting,
  createTestTopic,
  deleteTopic,
  produceForeign,
  readTopic,
  setTopicSetting,
  testKafkaEnv,
  testProducer,
} from '../helpers/kafka.ts'
import { spawnSumma } from '../helpers/processes.ts'
import {
  calculatorClient,
  createTestSystem,
  getJson,
  startTestAggregator,
  startTestPipeline,
  type TestSystem,
} from '../helpers/system.ts'

interface TotalBody {
  total: string
  appliedEvents: string
  deadLetters: string
}

interface HealthBody {
  status: string
  checks: Record<string, Array<{ status: string; output?: string }>>
}

/** Within this, a record after a poison one must be applied: the pipeline did not stop. */
const boundMs = 30_000

function sumEvent(num1: bigint, num2: bigint, eventId: string = randomUUID()): SumEvent {
  return {
    v: 1,
    eventId,
    requestId: randomUUID(),
    num1: String(num1),
    num2: String(num2),
    sum: (num1 + num2).toString(),
    acceptedAt: new Date().toISOString(),
  }
}

async function waitForTotal(port: number, expected: Partial<TotalBody>): Promise<TotalBody> {
  return eventually(async () => {
    const { body } = await getJson<TotalBody>(port, '/total')
    for (const [key, value] of Object.entries(expected))
      assert.equal(body[key as keyof TotalBody], value, key)
    return body
  }, boundMs)
}

async function metricsText(port: number): Promise<string> {
  return (await getJson<string>(port, '/metrics')).body
}

async function storedDeadLetters(system: TestSystem) {
  return system.db.sql<
    { partition: number; offset: string; reason: string; size: number; sha256: string; value: Buffer }[]
  >`select partition, "offset"::text, reason, size, sha256, value from dead_letters order by id`
}

/**
 * The largest value (no key, no headers) the broker accepts in one record,
 * found against the broker itself: `limit` is a bound on the whole record
 * batch, whose overhead the client decides.
 */
async function largestAcceptedValue(t: TestContext, limit: number): Promise<number> {
  const { topic } = await createTestTopic(t, 1)
  const producer = testProducer(t)
  const fits = async (size: number): Promise<boolean> => {
    try {
      await producer.send({ messages: [{ topic, partition: 0, value: Buffer.alloc(size) }] })
      return true
    } catch {
      return false
    }
  }
  let low = limit - 256 // fits: a record batch's overhead is well under 256 bytes
  let high = limit + 1 // does not: the value alone is over the limit
  assert.ok(await fits(low), `a value of ${low} bytes should fit a ${limit}-byte limit`)
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2)
    if (await fits(middle)) low = middle
    else high = middle
  }
  return low
}

describe('dead letters that cannot be written as they are', () => {
  it('records at and just under the broker limit: a reference is dead-lettered and the next Add reaches /total', async (t) => {
    const limit = Number(await brokerSetting('message.max.bytes'))
    const largest = await largestAcceptedValue(t, limit)
    const system = await createTestSystem(t)
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const port = aggregator.running.httpPort
    const producer = testProducer(t)

    const atLimit = randomBytes(largest)
    const justUnder = randomBytes(largest - 1)
    // Same partition, one after the other: the second waits behind the first.
    for (const value of [atLimit, justUnder]) {
      await producer.send({ messages: [{ topic: system.topic, partition: 0, value }] })
    }
    const client = calculatorClient(t, calculator.running.grpcPort)
    await client.add({ requestId: randomUUID(), num1: '7', num2: '7' })
    const started = Date.now()
    await waitForTotal(port, { total: '14', appliedEvents: '1', deadLetters: '2' })
    t.diagnostic(`limit ${limit} B, largest value ${largest} B, total after ${Date.now() - started} ms`)

    const dead = await readTopic(system.deadLetterTopic, 2)
    assert.equal(dead.length, 2)
    for (const [index, original] of [atLimit, justUnder].entries()) {
      const letter = dead.find((record) => record.headers['summa-dlq-original-offset'] === String(index))
      assert.ok(letter !== undefined, `reference for offset ${index}`)
      assert.equal(letter.headers['summa-dlq-kind'], 'reference')
      assert.equal(letter.headers['summa-dlq-original-topic'], system.topic)
      assert.equal(letter.headers['summa-dlq-original-partition'], '0')
      assert.equal(letter.headers['summa-dlq-original-size'], String(original.length))
      assert.equal(
        letter.headers['summa-dlq-original-sha256'],
        createHash('sha256').update(original).digest('hex'),
      )
      assert.match(letter.headers['summa-dlq-reason'] ?? '', /not (valid )?UTF-8|not JSON/)
      assert.ok(letter.value.length < 1024, 'the value is replaced by a small description')
    }
    const metrics = await metricsText(port)
    assert.match(metrics, /summa_dead_letters_total\{[^}]*outcome="reference"[^}]*\} 2/)
    const health = await getJson<HealthBody>(port, '/health')
    assert.equal(health.status, 200, JSON.stringify(health.body))

    // A reference holds nothing to re-drive: passed over, with where the original is.
    const redrive = spawnSumma(t, ['dlq', 'redrive'], {
      ...testKafkaEnv(),
      SUMMA_TOPIC: system.topic,
      SUMMA_CONSUMER_GROUP: system.config.SUMMA_CONSUMER_GROUP,
      SUMMA_LOG_LEVEL: 'silent',
    })
    assert.equal((await redrive.exited).code, 0, redrive.output())
    const report = JSON.parse(redrive.output().slice(redrive.output().indexOf('{')))
    assert.equal(report.redriven, 0)
    assert.deepEqual(report.references.map((entry: { original: string }) => entry.original).sort(), [
      `${system.topic}/0/0`,
      `${system.topic}/0/1`,
    ])
    assert.match(report.references[0].message, /^not re-driven: a reference to /)
  })

  it('dead-letter topic deleted: the dead letter is kept in PostgreSQL and the partition moves on', async (t) => {
    const system = await createTestSystem(t)
    const aggregator = await startTestAggregator(t, system.config)
    const port = aggregator.running.httpPort
    // auto.create.topics.enable=false on the test broker (kafka/server.properties.template):
    // the produce finds no topic rather than creating one.
    assert.equal(await brokerSetting('auto.create.topics.enable'), 'false')
    await eventually(async () => {
      assert.equal((await getJson(port, '/health')).status, 200)
    })
    await deleteTopic(system.deadLetterTopic)

    await produceForeign(t, system.topic, [{ partition: 0, key: 'k1', value: 'not json {' }])
    const after = sumEvent(40n, 2n)
    await testProducer(t).send({
      messages: [
        {
          topic: system.topic,
          partition: 0,
          value: Buffer.from(encodeSumEvent(after)),
          headers: signedHeaders(after),
        },
      ],
    })
    await waitForTotal(port, { total: '42', appliedEvents: '1', deadLetters: '1' })

    const [stored] = await storedDeadLetters(system)
    assert.ok(stored !== undefined)
    assert.deepEqual([stored.partition, stored.offset, stored.value.toString()], [0, '0', 'not json {'])
    assert.match(stored.reason, /not JSON/)
    assert.equal(stored.sha256, createHash('sha256').update('not json {').digest('hex'))
    assert.match(await metricsText(port), /summa_dead_letters_total\{[^}]*outcome="stored"[^}]*\} 1/)
  })

  it('dead-letter topic unwritable (max.message.bytes tiny): kept in PostgreSQL, total unchanged by it', async (t) => {
    const system = await createTestSystem(t)
    await setTopicSetting(system.deadLetterTopic, 'max.message.bytes', '64')
    const aggregator = await startTestAggregator(t, system.config)
    const port = aggregator.running.httpPort

    await produceForeign(t, system.topic, [
      { partition: 3, value: '{"v":1}', headers: [['origin', 'foreign']] },
    ])
    const three = sumEvent(1n, 2n)
    await testProducer(t).send({
      messages: [
        {
          topic: system.topic,
          partition: 3,
          value: Buffer.from(encodeSumEvent(three)),
          headers: signedHeaders(three),
        },
      ],
    })
    await waitForTotal(port, { total: '3', appliedEvents: '1', deadLetters: '1' })
    const stored = await storedDeadLetters(system)
    assert.deepEqual(
      stored.map((row) => [row.partition, row.offset, row.value.toString()]),
      [[3, '0', '{"v":1}']],
    )
    assert.match(await metricsText(port), /summa_dead_letters_total\{[^}]*outcome="stored"[^}]*\} 1/)
  })

  it('a partition that cannot commit (its row held locked in PostgreSQL) is reported: readiness fails with the reason, then passes again', async (t) => {
    const system = await createTestSystem(t, { SUMMA_AGGREGATOR_STALL_LIMIT_MS: '2000' })
    const aggregator = await startTestAggregator(t, system.config)
    const port = aggregator.running.httpPort
    const producer = testProducer(t)
    const send = (event: SumEvent) =>
      producer.send({
        messages: [
          {
            topic: system.topic,
            partition: 1,
            value: Buffer.from(encodeSumEvent(event)),
            headers: signedHeaders(event),
          },
        ],
      })
    await send(sumEvent(5n, 5n))
    await waitForTotal(port, { total: '10' })

    // Another session holds the partition's row: the aggregator's transaction waits on it.
    let release = (): void => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let locked = (): void => {}
    const holding = new Promise<void>((resolve) => {
      locked = resolve
    })
    const holder = system.db.sql.begin(async (tx) => {
      await tx`select 1 from partition_totals where topic = ${system.topic} and partition = 1 for update`
      locked()
      await released
    })
    t.after(() => {
      release()
      return holder
    })
    await holding
    await produceForeign(t, system.topic, [{ partition: 1, value: 'not json {' }])
    await send(sumEvent(1n, 2n))

    const failing = await eventually(async () => {
      const health = await getJson<HealthBody>(port, '/health')
      assert.equal(health.status, 503, JSON.stringify(health.body))
      return health.body
    }, boundMs)
    const progress = failing.checks['progress:connection']?.[0]
    assert.equal(progress?.status, 'fail', JSON.stringify(failing))
    assert.equal(progress?.output, 'UNAVAILABLE', 'a reason code, the detail is in the log')
    assert.match(await metricsText(port), /summa_consumer_stalled_seconds\{[^}]*partition="1"[^}]*\} [1-9]/)
    assert.equal((await getJson<TotalBody>(port, '/total')).body.total, '10', 'nothing passed meanwhile')

    release()
    await holder
    await waitForTotal(port, { total: '13', deadLetters: '1' })
    await eventually(async () => {
      assert.equal((await getJson(port, '/health')).status, 200)
    }, boundMs)
    assert.match(await metricsText(port), /summa_consumer_stalled_seconds\{[^}]*partition="1"[^}]*\} 0\n/)
    assert.match(await metricsText(port), /summa_dead_letters_total\{[^}]*outcome="published"[^}]*\} 1/)
  })
})

describe('dead letters of hostile records', () => {
  it('an event id applied before with a different sum is a conflict: dead-lettered with a reason, total unchanged', async (t) => {
    const system = await createTestSystem(t)
    const aggregator = await startTestAggregator(t, system.config)
    const port = aggregator.running.httpPort
    const producer = testProducer(t)
    const first = sumEvent(2n, 3n)
    const conflicting = { ...sumEvent(2n, 4n, first.eventId), requestId: first.requestId }
    const send = (event: SumEvent) =>
      producer.send({
        messages: [
          {
            topic: system.topic,
            partition: 2,
            value: Buffer.from(encodeSumEvent(event)),
            headers: signedHeaders(event),
          },
        ],
      })
    await send(first)
    await waitForTotal(port, { total: '5', appliedEvents: '1' })
    await send(first) // a true re-send: skipped, not dead-lettered
    await send(conflicting)
    const marker = sumEvent(0n, 1n)
    await send(marker)
    await waitForTotal(port, { total: '6', appliedEvents: '2', deadLetters: '1' })
    const [dead] = await readTopic(system.deadLetterTopic, 1)
    assert.equal(dead?.value, encodeSumEvent(conflicting))
    assert.equal(dead?.headers['summa-dlq-original-offset'], '2')
    assert.match(dead?.headers['summa-dlq-reason'] ?? '', /conflict.*event id .*applied .*different/)
  })

  it('summa-dlq-* headers planted by a producer are replaced by summa’s own; other headers are kept', async (t) => {
    const system = await createTestSystem(t)
    const aggregator = await startTestAggregator(t, system.config)
    const port = aggregator.running.httpPort
    await produceForeign(t, system.topic, [
      {
        partition: 4,
        value: 'garbage',
        headers: [
          ['summa-dlq-reason', 'planted'],
          ['summa-dlq-original-offset', '999'],
          ['summa-dlq-kind', 'reference'],
          ['origin', 'foreign'],
        ],
      },
    ])
    await waitForTotal(port, { deadLetters: '1' })
    const [dead] = await readTopic(system.deadLetterTopic, 1)
    assert.ok(dead !== undefined)
    const names = dead.headerList.map(([name]) => name)
    assert.equal(names.filter((name) => name === 'summa-dlq-reason').length, 1, names.join(','))
    assert.equal(names.filter((name) => name === 'summa-dlq-original-offset').length, 1, names.join(','))
    assert.equal(dead.headers['summa-dlq-reason'], 'value is not JSON')
    assert.equal(dead.headers['summa-dlq-original-offset'], '0')
    assert.equal(dead.headers['summa-dlq-kind'], 'copy')
    assert.equal(dead.headers.origin, 'foreign')
  })
})
