import { Consumer, type Message, MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka'
import { DeadLetterKinds, deadLetterHeaderPrefix, deadLetterHeaders } from '../shared/dead-letter-topic.ts'
import { SummaError } from '../shared/errors.ts'
import type { KafkaConnection, RawProducer } from '../shared/kafka.ts'
import { decodeSumEvent } from '../shared/sum-event.ts'

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

export const redriveHeader = 'summa-redriven-from'

export interface RedriveOptions {
  brokers: string[]
  /** TLS to the brokers, when configured. */
  connection?: KafkaConnection
  deadLetterTopic: string
  /** The consumer group that remembers how far re-driving got. */
  groupId: string
  producer: RawProducer
  /** Commit past records that still do not decode instead of stopping their partition there. */
  skipInvalid: boolean
  /** Report what would be re-driven; produce and commit nothing. */
  dryRun: boolean
  /** Stop reading once no record arrived for this long (the topic's end was reached). */
  idleMs?: number
}

export interface RedriveReport {
  read: number
  redriven: number
  skipped: number
  /** Records that still do not decode, per partition the first one that stopped it. */
  stillInvalid: Array<{ partition: number; offset: string; reason: string }>
  /**
   * References (the original was too large for the dead-letter topic): not
   * re-driven, passed over, each with where the original is.
   */
  references: Array<{ partition: number; offset: string; original: string; message: string }>
}

/**
 * `summa dlq redrive`: after the cause of dead letters is fixed, sends them
 * back to the topic they came from, unchanged (key, value, original headers)
 * plus `summa-redriven-from: <dlq>/<partition>/<offset>`.
 *
 * Only records that decode now are re-driven, in order per partition; the
 * first that still does not stops its partition (reported, not committed), so
 * nothing is skipped silently; `skipInvalid` commits past such records instead.
 * Progress is the group's committed offset, committed after the produce was
 * acknowledged: a crash in between re-drives a record twice, which the
 * aggregator turns into a no-op by its event id.
 *
 * A reference (`summa-dlq-kind: reference`, written when the original did not
 * fit the dead-letter topic) holds no record to re-drive: it is passed over
 * and listed in `references` with where the original is (topic, partition,
 * offset, size, SHA-256), to be read there while the topic retains it.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveReport> {
  const { deadLetterTopic } = options
  const report: RedriveReport = { read: 0, redriven: 0, skipped: 0, stillInvalid: [], references: [] }
  const consumer = new Consumer({
    groupId: options.groupId,
    clientId: 'summa-dlq-redrive',
    ...options.connection,
    bootstrapBrokers: options.brokers,
    autocommit: false,
    maxWaitTime: 200,
  })
  try {
    const ends = (await consumer.listOffsets({ topics: [deadLetterTopic] })).get(deadLetterTopic) ?? []
    const stream = await consumer.consume({
      topics: [deadLetterTopic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    })
    const stopped = new Set<number>()
    const caughtUp = new Set<number>()
    const total = ends.filter((end) => end > 0n).length
    let idle: NodeJS.Timeout | undefined
    const armIdle = () => {
      clearTimeout(idle)
      idle = setTimeout(() => stream.close().catch(() => {}), options.idleMs ?? 3000)
    }
    armIdle()
    try {
      for await (const message of stream as AsyncIterable<RawMessage>) {
        armIdle()
        report.read++
        const partition = message.partition
        if (message.offset + 1n >= (ends[partition] ?? 0n)) caughtUp.add(partition)
        if (!stopped.has(partition)) await handle(message, options, report, stopped)
        if (caughtUp.size >= total) break
      }
    } finally {
      clearTimeout(idle)
      await stream.close().catch(() => {})
    }
  } finally {
    await consumer.close(true).catch(() => {})
  }
  return report
}

async function handle(
  message: RawMessage,
  options: RedriveOptions,
  report: RedriveReport,
  stopped: Set<number>,
): Promise<void> {
  const headers = new Map<string, Buffer>()
  for (const [key, value] of message.headers) headers.set(key.toString(), value)
  const where = `${options.deadLetterTopic}/${message.partition}/${message.offset}`
  if (headers.get(deadLetterHeaders.kind)?.toString() === DeadLetterKinds.reference) {
    const header = (name: string) => headers.get(name)?.toString() ?? '?'
    const original = `${header(deadLetterHeaders.topic)}/${header(deadLetterHeaders.partition)}/${header(deadLetterHeaders.offset)}`
    report.references.push({
      partition: message.partition,
      offset: message.offset.toString(),
      original,
      message:
        `not re-driven: a reference to ${original} (${header(deadLetterHeaders.size)} bytes, ` +
        `sha256 ${header(deadLetterHeaders.sha256)}), which was too large for ${options.deadLetterTopic}; ` +
        'read the original there while the topic retains it',
    })
    if (!options.dryRun) await message.commit()
    return
  }
  try {
    decodeSumEvent(message.value)
  } catch (error) {
    const reason = SummaError.from(error).message
    if (options.skipInvalid) {
      report.skipped++
      if (!options.dryRun) await message.commit()
      return
    }
    stopped.add(message.partition)
    report.stillInvalid.push({ partition: message.partition, offset: message.offset.toString(), reason })
    return
  }
  const original = headers.get(deadLetterHeaders.topic)?.toString()
  if (original === undefined) {
    stopped.add(message.partition)
    report.stillInvalid.push({
      partition: message.partition,
      offset: message.offset.toString(),
      reason: `no ${deadLetterHeaders.topic} header`,
    })
    return
  }
  report.redriven++
  if (options.dryRun) return
  const out = new Map<Buffer, Buffer>()
  for (const [key, value] of headers)
    if (!key.startsWith(deadLetterHeaderPrefix)) out.set(Buffer.from(key), value)
  out.set(Buffer.from(redriveHeader), Buffer.from(where))
  await options.producer.send({
    messages: [
      {
        topic: original,
        key: message.key?.length ? message.key : undefined,
        value: message.value,
        headers: out,
      },
    ],
  })
  await message.commit()
}
