import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { ConsumerLag } from '../../src/aggregator/consumer-lag.ts'
import { createAdmin } from '../../src/shared/kafka.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { kafkaBootstrap, testKafkaConnection } from '../helpers/kafka.ts'
import {
  calculatorClient,
  createTestSystem,
  getJson,
  startTestAggregator,
  startTestCalculator,
  startTestRelay,
} from '../helpers/system.ts'

describe('consumer lag', () => {
  it('counts records on the broker beyond the offsets stored in PostgreSQL, and drops to 0 once applied', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    await startTestRelay(t, system.config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        client.add({ requestId: randomUUID(), num1: String(i), num2: '1' }),
      ),
    )
    const admin = createAdmin([kafkaBootstrap()], 'summa-test-lag', testKafkaConnection())
    defer(t, () => admin.close())
    let skewMs = 0
    const lag = new ConsumerLag({
      admin,
      sql: system.db.sql,
      topic: system.topic,
      maxAgeMs: 0,
      now: () => Date.now() + skewMs,
    })

    // No aggregator yet: everything the relay published is lag.
    const before = await eventually(async () => {
      const partitions = await lag.read()
      assert.equal(partitions.length, system.config.SUMMA_TOPIC_PARTITIONS)
      assert.equal(
        partitions.reduce((sum, p) => sum + p.offsets, 0),
        30,
      )
      return partitions
    })
    const behind = before.filter((p) => p.offsets > 0)
    // Seen behind for 5 s more, still nothing applied: the estimate grows with the wait.
    skewMs = 5000
    for (const partition of await lag.read())
      if (behind.some((p) => p.partition === partition.partition)) assert.ok(partition.seconds >= 5)
      else assert.equal(partition.seconds, 0)

    const aggregator = await startTestAggregator(t, system.config)
    await eventually(async () => {
      const partitions = await lag.read()
      assert.deepEqual(
        partitions.map((p) => [p.offsets, p.seconds]),
        partitions.map(() => [0, 0]),
      )
    }, 60_000)
    // The aggregator's own gauges say the same at scrape time.
    await eventually(async () => {
      const { body } = await getJson<string>(aggregator.running.httpPort, '/metrics')
      const lines = body.split('\n').filter((line) => line.startsWith('summa_consumer_lag_offsets{'))
      assert.equal(lines.length, system.config.SUMMA_TOPIC_PARTITIONS)
      for (const line of lines) assert.match(line, / 0$/)
    })
  })
})
