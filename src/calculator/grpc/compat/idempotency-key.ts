import { randomUUID } from 'node:crypto'
import type { Metadata } from '@grpc/grpc-js'

/** The metadata header a seed-compatible call may carry its request id in. */
export const idempotencyKeyHeader = 'idempotency-key'

/**
 * The request id of a call to a seed-compatible service. Their requests carry
 * no id, so each call gets a fresh one and a retry is a new Add, exactly as in
 * the seeds; a client that sends an `idempotency-key` header gets summa's
 * replay semantics without changing its proto. The value is returned as sent
 * (validated with every other input), and several values are joined so that
 * validation refuses them rather than one being picked silently.
 */
export function requestIdOf(metadata: Metadata): string {
  const values = metadata.get(idempotencyKeyHeader)
  if (values.length === 0) return randomUUID()
  return values.map(String).join(',')
}
