import type { Message } from '@platformatic/kafka'
import { SummaError } from '../shared/errors.ts'
import type { EventVerifier } from '../shared/event-signature.ts'
import { decodeSumEvent, eventHeaders } from '../shared/sum-event.ts'
import type { ConsumedRecord } from './db/apply-batch.ts'
import type { Poison } from './dead-letter-writer.ts'

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

/**
 * Decodes and verifies each record; one that does not decode, or whose
 * signature does not verify, stays in `records` (event null) and is listed as
 * poison with the reason: it is dead-lettered and never reaches the total.
 */
export function decodeBatch(
  batch: RawMessage[],
  verifier: EventVerifier,
): {
  records: ConsumedRecord[]
  poison: Poison[]
} {
  const records: ConsumedRecord[] = []
  const poison: Poison[] = []
  for (const message of batch) {
    try {
      const event = decodeSumEvent(message.value)
      const refused = verifier.verify(event, signatureOf(message))
      if (refused !== null) {
        poison.push({ message, reason: refused })
        records.push({ partition: message.partition, offset: message.offset, event: null })
        continue
      }
      records.push({ partition: message.partition, offset: message.offset, event })
    } catch (error) {
      poison.push({ message, reason: SummaError.from(error).message })
      records.push({ partition: message.partition, offset: message.offset, event: null })
    }
  }
  return { records, poison }
}

/** The last summa-signature header: headers are a Map keyed by Buffer, so look by content. */
function signatureOf(message: RawMessage): string | undefined {
  let found: string | undefined
  for (const [key, value] of message.headers) {
    if (key.toString() === eventHeaders.signature) found = value.toString()
  }
  return found
}
