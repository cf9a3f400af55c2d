import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import { Consumer, MessagesStreamModes } from '@platformatic/kafka'
import { createAdmin, createProducer, ensureTopic, type RawProducer } from '../../src/shared/kafka.ts'
import { defer } from './cleanup.ts'
import { requireEnv, testEnv } from './test-env.ts'

export function kafkaBootstrap(): string {
  return requireEnv(testEnv.kafkaBootstrap)
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
  const admin = createAdmin([kafkaBootstrap()], 'summa-test-admin')
  await ensureTopic(admin, { topic, partitions, replication: 1 })
  await ensureTopic(admin, { topic: deadLetterTopic, partitions, replication: 1 })
  await admin.close()
  defer(t, async () => {
    const cleanup = createAdmin([kafkaBootstrap()], 'summa-test-admin')
    await cleanup.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => {})
    await cleanup.close()
  })
  return { topic, deadLetterTopic }
}

export function testProducer(t: Pick<TestContext, 'after'>): RawProducer {
  const producer = createProducer([kafkaBootstrap()], 'summa-test-producer')
  defer(t, () => producer.close())
  return producer
}

export interface ReadRecord {
  partition: number
  offset: bigint
  key: string | undefined
  value: string
  headers: Record<string, string>
}

/**
 * Reads every record of `topic` from the beginning until `count` have arrived
 * or `timeoutMs` passes, with a throwaway group: an independent view of what
 * is really on the topic.
 */
export async function readTopic(topic: string, count: number, timeoutMs = 20_000): Promise<ReadRecord[]> {
  const consumer = new Consumer({
    groupId: uniqueName('summa-test-reader'),
    clientId: 'summa-test-reader',
    bootstrapBrokers: [kafkaBootstrap()],
    autocommit: false,
    maxWaitTime: 200,
  })
  const records: ReadRecord[] = []
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST })
  const timer = setTimeout(() => stream.close().catch(() => {}), timeoutMs)
  try {
    for await (const message of stream) {
      const headers: Record<string, string> = {}
      for (const [key, value] of message.headers) headers[key.toString()] = value.toString()
      records.push({
        partition: message.partition,
        offset: message.offset,
        key: message.key?.length ? message.key.toString() : undefined,
        value: message.value.toString(),
        headers,
      })
      if (records.length >= count) break
    }
  } finally {
    clearTimeout(timer)
    await consumer.close(true)
  }
  return records
}
