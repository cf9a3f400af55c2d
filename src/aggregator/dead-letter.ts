import type { Message } from '@platformatic/kafka'

export const deadLetterHeaders = {
  reason: 'summa-dlq-reason',
  topic: 'summa-dlq-original-topic',
  partition: 'summa-dlq-original-partition',
  offset: 'summa-dlq-original-offset',
  failedAt: 'summa-dlq-failed-at',
} as const

/**
 * The dead-letter copy of a record: the original key and value unchanged (so a
 * fixed record can be re-driven as is), the original headers, and why and where
 * it failed.
 */
export function deadLetterMessage(
  deadLetterTopic: string,
  sourceTopic: string,
  message: Message<Buffer, Buffer, Buffer, Buffer>,
  reason: string,
) {
  const headers = new Map<Buffer, Buffer>(message.headers)
  const add = (key: string, value: string): void => {
    headers.set(Buffer.from(key), Buffer.from(value))
  }
  add(deadLetterHeaders.reason, reason)
  add(deadLetterHeaders.topic, sourceTopic)
  add(deadLetterHeaders.partition, String(message.partition))
  add(deadLetterHeaders.offset, message.offset.toString())
  add(deadLetterHeaders.failedAt, new Date().toISOString())
  return {
    topic: deadLetterTopic,
    key: message.key?.length ? message.key : undefined,
    value: message.value ?? Buffer.alloc(0),
    headers,
  }
}
