import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import {
  ConfigResourceTypes,
  ConfigSources,
  Consumer,
  IncrementalAlterConfigOperationTypes,
  ListOffsetTimestamps,
  MessagesStreamModes,
} from '@platformatic/kafka'
import type { KafkaSasl } from '../../src/shared/config.ts'
import {
  createAdmin,
  createProducer,
  ensureTopic,
  type KafkaConnection,
  type RawProducer,
} from '../../src/shared/kafka.ts'
import { defer } from './cleanup.ts'
import { eventually } from './eventually.ts'
import { requireEnv, testEnv } from './test-env.ts'

export function kafkaBootstrap(): string {
  return requireEnv(testEnv.kafkaBootstrap)
}

/** The test broker's admin user, when it has users (the global setup's broker does). */
function testKafkaUser(): KafkaSasl | undefined {
  const username = process.env[testEnv.kafkaUsername]
  const password = process.env[testEnv.kafkaPassword]
  return username && password ? { mechanism: 'SCRAM-SHA-512', username, password } : undefined
}

/** How a test's own Kafka clients reach the test broker: as its admin. */
export function testKafkaConnection(): KafkaConnection {
  const sasl = testKafkaUser()
  return sasl === undefined ? {} : { sasl }
}

/**
 * The settings that point a process of summa at the test broker, as its admin: tests create their
 * own topics without granting ACLs on them (what each service's own user may do is tested on
 * brokers of their own: authenticated-broker.test.ts and the fault suite).
 */
export function testKafkaEnv(): Record<string, string> {
  const sasl = testKafkaUser()
  return {
    KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(),
    ...(sasl === undefined
      ? {}
      : {
          KAFKA_SASL_MECHANISM: sasl.mechanism,
          KAFKA_SASL_USERNAME: sasl.username,
          KAFKA_SASL_PASSWORD: sasl.password,
        }),
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`
}

/** A topic of the test's own (and its dead-letter topic), deleted when the test ends. */
export async function createTestTopic(
  t: Pick<TestContext, 'after'>,
  partitions = 6,
): Promise<{ topic: string; deadLetterTopic: string }> {
  const topic = uniqueName('summa-test')
  const deadLetterTopic = `${topic}.dlq`
  // Deleted however far the creation got.
  defer(t, async () => {
    const cleanup = createAdmin([kafkaBootstrap()], 'summa-test-admin', testKafkaConnection())
    await cleanup.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => {})
    await cleanup.close()
  })
  const admin = createAdmin([kafkaBootstrap()], 'summa-test-admin', testKafkaConnection())
  try {
    await ensureTopic(admin, { topic, partitions, replication: 1 })
    await ensureTopic(admin, { topic: deadLetterTopic, partitions, replication: 1 })
  } finally {
    await admin.close()
  }
  return { topic, deadLetterTopic }
}

export function testProducer(t: Pick<TestContext, 'after'>): RawProducer {
  const producer = createProducer([kafkaBootstrap()], 'summa-test-producer', testKafkaConnection())
  defer(t, () => producer.close())
  return producer
}

/** One record as a producer other than the relay writes it: any bytes, any headers. */
export interface ForeignRecord {
  partition: number
  key?: string
  value: string
  headers?: Array<[string, string]>
}

/**
 * Writes `records` to `topic` with a producer of the test's own (the broker's admin, past every
 * ACL): what an attacker with a broker user, or a buggy foreign producer, can put on the topic.
 */
export async function produceForeign(
  t: Pick<TestContext, 'after'>,
  topic: string,
  records: ForeignRecord[],
): Promise<void> {
  await testProducer(t).send({
    messages: records.map((record) => ({
      topic,
      partition: record.partition,
      ...(record.key === undefined ? {} : { key: Buffer.from(record.key) }),
      value: Buffer.from(record.value),
      headers: new Map(
        (record.headers ?? []).map(([name, value]) => [Buffer.from(name), Buffer.from(value)]),
      ),
    })),
  })
}

export interface ReadRecord {
  partition: number
  offset: bigint
  key: string | undefined
  value: string
  headers: Record<string, string>
  /** Every header in order, repeats included (`headers` keeps only the last of a name). */
  headerList: Array<[string, string]>
}

/**
 * Reads every record of `topic` from the beginning until `count` have arrived
 * or `timeoutMs` passes, with a throwaway group: an independent view of what
 * is really on the topic. Each record once, by its partition and offset: the
 * group commits nothing, so a rebalance while it reads (a slow, just-started
 * broker) starts it over from the beginning, and what it then reads again is
 * the same record, not a duplicate on the topic.
 */
export async function readTopic(topic: string, count: number, timeoutMs = 20_000): Promise<ReadRecord[]> {
  const consumer = new Consumer({
    groupId: uniqueName('summa-test-reader'),
    clientId: 'summa-test-reader',
    bootstrapBrokers: [kafkaBootstrap()],
    ...testKafkaConnection(),
    autocommit: false,
    maxWaitTime: 200,
  })
  const records: ReadRecord[] = []
  const seen = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST })
    timer = setTimeout(() => stream.close().catch(() => {}), timeoutMs)
    for await (const message of stream) {
      const position = `${message.partition}:${message.offset}`
      if (seen.has(position)) continue
      seen.add(position)
      const headers: Record<string, string> = {}
      const headerList: Array<[string, string]> = []
      for (const [key, value] of message.headers) {
        headers[key.toString()] = value.toString()
        headerList.push([key.toString(), value.toString()])
      }
      records.push({
        partition: message.partition,
        offset: message.offset,
        key: message.key?.length ? message.key.toString() : undefined,
        value: message.value.toString(),
        headers,
        headerList,
      })
      if (records.length >= count) break
    }
  } finally {
    clearTimeout(timer)
    await consumer.close(true)
  }
  return records
}

/** A setting of the test broker as the broker itself reports it (not a guess at its default). */
export async function brokerSetting(name: string): Promise<string> {
  const admin = createAdmin([kafkaBootstrap()], 'summa-test-admin', testKafkaConnection())
  try {
    const metadata = await admin.metadata({ topics: [] })
    const [nodeId] = metadata.brokers.keys()
    const [description] = await admin.describeConfigs({
      resources: [
        { resourceType: ConfigResourceTypes.BROKER, resourceName: String(nodeId), configurationKeys: [name] },
      ],
    })
    const value = description?.configs.find((config) => config.name === name)?.value
    if (value === undefined || value === null) throw new Error(`broker setting ${name} not reported`)
    return value
  } finally {
    await admin.close()
  }
}

/**
 * Sets (or, with `undefined`, removes) a per-topic setting such as
 * max.message.bytes, and waits until the broker reports it: the change
 * reaches the broker through the metadata log, not at once.
 */
export async function setTopicSetting(topic: string, name: string, value: string | undefined): Promise<void> {
  const admin = createAdmin([kafkaBootstrap()], 'summa-test-admin', testKafkaConnection())
  try {
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configs: [
            value === undefined
              ? { name, configOperation: IncrementalAlterConfigOperationTypes.DELETE }
              : { name, configOperation: IncrementalAlterConfigOperationTypes.SET, value },
          ],
        },
      ],
    })
    await eventually(async () => {
      const [description] = await admin.describeConfigs({
        resources: [
          { resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [name] },
        ],
      })
      const config = description?.configs.find((entry) => entry.name === name)
      if (value === undefined) assert.notEqual(config?.configSource, ConfigSources.DYNAMIC_TOPIC_CONFIG)
      else assert.equal(config?.value, value)
    })
  } finally {
    await admin.close()
  }
}

export async function deleteTopic(topic: string): Promise<void> {
  const admin = createAdmin([kafkaBootstrap()], 'summa-test-admin', testKafkaConnection())
  try {
    await admin.deleteTopics({ topics: [topic] })
  } finally {
    await admin.close()
  }
}

/**
 * How many records `topic` holds: the sum of its partitions' end offsets (the
 * relay's producer is idempotent, not transactional, so every offset is a
 * record). Says "nothing was published twice" without reading for a while to
 * see whether more records turn up.
 */
export async function topicRecordCount(topic: string): Promise<number> {
  const admin = createAdmin([kafkaBootstrap()], 'summa-test-admin', testKafkaConnection())
  try {
    const metadata = await admin.metadata({ topics: [topic] })
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0
    const listed = await admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: count }, (_, partitionIndex) => ({
            partitionIndex,
            timestamp: ListOffsetTimestamps.LATEST,
          })),
        },
      ],
    })
    const ends = listed.find((entry) => entry.name === topic)?.partitions ?? []
    return ends.reduce((sum, end) => sum + Number(end.offset), 0)
  } finally {
    await admin.close()
  }
}
