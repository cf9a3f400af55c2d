import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { encodeSumEvent, type SumEvent } from '../../src/shared/sum-event.ts'
import { signedHeaders } from '../helpers/event-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import { produceForeign, readTopic, testKafkaEnv, testProducer } from '../helpers/kafka.ts'
import { spawnSumma } from '../helpers/processes.ts'
import { createTestSystem, getJson, startTestAggregator } from '../helpers/system.ts'

interface TotalBody {
  total: string
  appliedEvents: string
  deadLetters: string
}

function sumEvent(num1: bigint, num2: bigint): SumEvent {
  const requestId = randomUUID()
  const sum = (num1 + num2).toString()
  return {
    v: 1,
    eventId: randomUUID(),
    requestId,
    num1: String(num1),
    num2: String(num2),
    sum,
    acceptedAt: new Date().toISOString(),
  }
}

describe('dead letters', () => {
  it('a malformed record from another producer goes to the dead-letter topic, counted, without blocking its partition; redrive sends back what decodes', async (t) => {
    const system = await createTestSystem(t)
    const producer = testProducer(t)
    const aggregator = await startTestAggregator(t, system.config)
    const port = aggregator.running.httpPort

    await produceForeign(t, system.topic, [
      { partition: 0, key: 'poison-key', value: 'not json {', headers: [['origin', 'foreign']] },
    ])
    const after = sumEvent(40n, 2n)
    await producer.send({
      messages: [
        {
          topic: system.topic,
          partition: 0,
          key: Buffer.from(after.requestId),
          value: Buffer.from(encodeSumEvent(after)),
          headers: signedHeaders(after),
        },
      ],
    })
    // Applied although a poison record sits before it on the same partition.
    await eventually(async () => {
      const { body } = await getJson<TotalBody>(port, '/total')
      assert.deepEqual([body.total, body.appliedEvents, body.deadLetters], ['42', '1', '1'])
    }, 30_000)
    const [dead] = await readTopic(system.deadLetterTopic, 1)
    assert.ok(dead !== undefined)
    assert.equal(dead.value, 'not json {')
    assert.equal(dead.key, 'poison-key')
    assert.equal(dead.headers.origin, 'foreign', 'original headers kept')
    assert.equal(dead.headers['summa-dlq-reason'], 'value is not JSON')
    assert.equal(dead.headers['summa-dlq-original-topic'], system.topic)
    assert.equal(dead.headers['summa-dlq-original-partition'], '0')
    assert.equal(dead.headers['summa-dlq-original-offset'], '0')
    const metrics = await getJson<string>(port, '/metrics')
    assert.match(metrics.body, /summa_dead_letters_total\{[^}]*\} 1/)

    // A good event dead-lettered by a bug since fixed (written as the aggregator writes dead letters).
    const wronged = sumEvent(100n, 1n)
    await producer.send({
      messages: [
        {
          topic: system.deadLetterTopic,
          partition: (dead.partition + 1) % 6,
          key: Buffer.from(wronged.requestId),
          value: Buffer.from(encodeSumEvent(wronged)),
          headers: new Map([
            ...signedHeaders(wronged),
            [Buffer.from('summa-dlq-reason'), Buffer.from('a bug since fixed')],
            [Buffer.from('summa-dlq-original-topic'), Buffer.from(system.topic)],
          ]),
        },
      ],
    })
    const env = {
      ...testKafkaEnv(),
      SUMMA_TOPIC: system.topic,
      SUMMA_CONSUMER_GROUP: system.config.SUMMA_CONSUMER_GROUP,
      SUMMA_LOG_LEVEL: 'silent',
    }
    const first = spawnSumma(t, ['dlq', 'redrive'], env)
    assert.equal((await first.exited).code, 1, 'exit 1: a dead letter still does not decode')
    const report = JSON.parse(first.output().slice(first.output().indexOf('{')))
    assert.equal(report.redriven, 1)
    assert.deepEqual(
      report.stillInvalid.map((entry: { reason: string }) => entry.reason),
      ['value is not JSON'],
    )
    await eventually(async () => {
      const { body } = await getJson<TotalBody>(port, '/total')
      assert.deepEqual([body.total, body.appliedEvents], ['143', '2'])
    }, 30_000)

    // Again, skipping what cannot be fixed: nothing is re-driven twice.
    const second = spawnSumma(t, ['dlq', 'redrive', '--skip-invalid'], env)
    assert.equal((await second.exited).code, 0, second.output())
    const again = JSON.parse(second.output().slice(second.output().indexOf('{')))
    assert.deepEqual([again.redriven, again.skipped], [0, 1])
    const { body } = await getJson<TotalBody>(port, '/total')
    assert.deepEqual([body.total, body.appliedEvents], ['143', '2'])
  })
})
