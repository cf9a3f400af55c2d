import type { ConnectionOptions } from 'node:tls'
import { Admin, ProduceAcks, Producer } from '@platformatic/kafka'
import { type Config, type KafkaSasl, kafkaSasl } from './config.ts'
import type { Logger } from './logger.ts'
import type { DependencyCheck } from './readiness.ts'
import { backoffMs, sleep } from './sleep.ts'
import { kafkaTlsOf } from './tls/tls-settings.ts'

/** Keys, values and headers as bytes: a dead letter must keep a poison record's exact bytes. */
export type RawProducer = Producer<Buffer, Buffer, Buffer, Buffer>

/** How every Kafka client connects beyond the bootstrap list: spread into its options. */
export interface KafkaConnection {
  /** TLS to the brokers (node:tls options); absent for plaintext. */
  tls?: ConnectionOptions
  /** The process's SASL credentials; absent for a broker without authentication. */
  sasl?: KafkaSasl
}

/**
 * The connection settings from the configuration: KAFKA_TLS and the KAFKA_TLS_* files, and the
 * KAFKA_SASL_* credentials.
 */
export function kafkaConnectionOf(
  config: Parameters<typeof kafkaTlsOf>[0] &
    Pick<Config, 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'>,
): KafkaConnection {
  const tls = kafkaTlsOf(config)
  const sasl = kafkaSasl(config)
  return { ...(tls === undefined ? {} : { tls }), ...(sasl === undefined ? {} : { sasl }) }
}

export interface TopicSpec {
  topic: string
  partitions: number
  replication: number
}

/**
 * The relay's producer: idempotent (the broker drops a retried batch it already
 * has) and acks=all (a batch counts as published only once every in-sync
 * replica has it). Retries are bounded so a send fails in bounded time and the
 * relay can roll its pass back, releasing the cursor, and back off.
 */
export function createProducer(
  brokers: string[],
  clientId: string,
  connection: KafkaConnection = {},
): RawProducer {
  return new Producer({
    ...connection,
    clientId,
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // Worst case about 3 × 3 s: a send gives up within the default shutdown budget.
    retries: 2,
    retryDelay: 250,
    timeout: 3000,
    strict: true,
  })
}

export function createAdmin(brokers: string[], clientId: string, connection: KafkaConnection = {}): Admin {
  // No retries: an admin call here is a probe or a one-off, and should answer fast.
  return new Admin({ ...connection, clientId, bootstrapBrokers: brokers, retries: 0, timeout: 2000 })
}

/** Whether a broker answers a metadata request at `brokers` now (a short-lived admin client). */
export async function kafkaAnswers(
  brokers: string[],
  clientId: string,
  connection: KafkaConnection = {},
): Promise<boolean> {
  const admin = createAdmin(brokers, clientId, connection)
  try {
    await admin.listTopics()
    return true
  } catch {
    return false
  } finally {
    await admin.close().catch(() => {})
  }
}

/**
 * Creates the topic unless it exists. Safe to call from several processes at
 * once: whoever loses the creation race finds the topic on the re-check.
 */
export async function ensureTopic(admin: Admin, spec: TopicSpec): Promise<'created' | 'exists'> {
  if (await topicExists(admin, spec.topic)) return 'exists'
  try {
    await admin.createTopics({
      topics: [spec.topic],
      partitions: spec.partitions,
      replicas: spec.replication,
    })
    return 'created'
  } catch (error) {
    if (await topicExists(admin, spec.topic)) return 'exists'
    throw error
  }
}

/** Whether the broker lists `topic`; rejects when the broker cannot be asked. */
export async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  const topics = await admin.listTopics({ includeInternals: false })
  return topics.includes(topic)
}

/** Ready when the broker answers a metadata request that includes our topic. */
export function kafkaCheck(admin: Admin, topic: string): DependencyCheck {
  return {
    name: 'kafka',
    check: async () => {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
      if (!metadata.topics.has(topic)) throw new Error(`topic ${topic} not found`)
    },
  }
}

/**
 * ensureTopic for each spec, retried with backoff until it succeeds or `signal`
 * aborts: a service starts while Kafka is still starting (or down), and the
 * outbox keeps every event meanwhile.
 */
export async function ensureTopicsWhenReachable(
  admin: Admin,
  specs: TopicSpec[],
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      for (const spec of specs) await ensureTopic(admin, spec)
      return
    } catch (error) {
      log.warn({ err: error, attempt }, 'cannot reach Kafka to check the topics yet')
      await sleep(backoffMs(attempt, 200, 5000), signal)
    }
  }
}
