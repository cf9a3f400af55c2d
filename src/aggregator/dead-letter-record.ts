import { createHash } from 'node:crypto'
import type { Message } from '@platformatic/kafka'

import {
  type DeadLetterKind,
  DeadLetterKinds,
  deadLetterHeaderPrefix,
  deadLetterHeaders,
} from '../shared/dead-letter-topic.ts'

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

/** A reference keeps the original key and headers only while they stay this small. */
const referenceKeyMaxBytes = 1024
const referenceHeadersMaxBytes = 8192

export interface DeadLetterRecord {
  topic: string
  key: Buffer | undefined
  value: Buffer
  headers: Map<Buffer, Buffer>
}

/** The original's headers minus any `summa-dlq-*` a producer planted: only summa says why and where. */
export function producerHeaders(message: RawMessage): Array<[Buffer, Buffer]> {
  return [...message.headers].filter(([key]) => !key.toString().startsWith(deadLetterHeaderPrefix))
}

export function sha256Hex(value: Buffer | null | undefined): string {
  return createHash('sha256')
    .update(value ?? Buffer.alloc(0))
    .digest('hex')
}

function withSummaHeaders(
  kept: Array<[Buffer, Buffer]>,
  kind: DeadLetterKind,
  sourceTopic: string,
  message: RawMessage,
  reason: string,
): Map<Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>(kept)
  const add = (key: string, value: string): void => {
    headers.set(Buffer.from(key), Buffer.from(value))
  }
  add(deadLetterHeaders.kind, kind)
  add(deadLetterHeaders.reason, reason)
  add(deadLetterHeaders.topic, sourceTopic)
  add(deadLetterHeaders.partition, String(message.partition))
  add(deadLetterHeaders.offset, message.offset.toString())
  add(deadLetterHeaders.failedAt, new Date().toISOString())
  return headers
}

/**
 * The dead-letter copy of a record: the original key and value unchanged (so a
 * fixed record can be re-driven as is), the producer's headers, and why and
 * where it failed.
 */
export function deadLetterCopy(
  deadLetterTopic: string,
  sourceTopic: string,
  message: RawMessage,
  reason: string,
): DeadLetterRecord {
  return {
    topic: deadLetterTopic,
    key: message.key?.length ? message.key : undefined,
    value: message.value ?? Buffer.alloc(0),
    headers: withSummaHeaders(producerHeaders(message), DeadLetterKinds.copy, sourceTopic, message, reason),
  }
}

/**
 * What is dead-lettered when the copy is refused (too large once summa's
 * headers are added, or refused by the topic's own limit): where the original
 * is, its size and SHA-256, and why it failed. The value is a small JSON
 * description; the key and headers are kept only while small, so the
 * reference always fits.
 */
export function deadLetterReference(
  deadLetterTopic: string,
  sourceTopic: string,
  message: RawMessage,
  reason: string,
): DeadLetterRecord {
  const value = message.value ?? Buffer.alloc(0)
  const size = value.length
  const sha256 = sha256Hex(value)
  const key = message.key?.length && message.key.length <= referenceKeyMaxBytes ? message.key : undefined
  const kept: Array<[Buffer, Buffer]> = []
  let headerBytes = 0
  let droppedHeaders = 0
  for (const [name, headerValue] of producerHeaders(message)) {
    const bytes = name.length + headerValue.length
    if (headerBytes + bytes > referenceHeadersMaxBytes) {
      droppedHeaders++
      continue
    }
    headerBytes += bytes
    kept.push([name, headerValue])
  }
  const headers = withSummaHeaders(kept, DeadLetterKinds.reference, sourceTopic, message, reason)
  headers.set(Buffer.from(deadLetterHeaders.size), Buffer.from(String(size)))
  headers.set(Buffer.from(deadLetterHeaders.sha256), Buffer.from(sha256))
  const description = {
    reference: `${sourceTopic}/${message.partition}/${message.offset}`,
    reason,
    size,
    sha256,
    keyDropped: key === undefined && Boolean(message.key?.length),
    droppedHeaders,
  }
  return {
    topic: deadLetterTopic,
    key,
    value: Buffer.from(JSON.stringify(description)),
    headers,
  }
}
