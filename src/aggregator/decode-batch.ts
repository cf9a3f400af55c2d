import type { Message } from '@platformatic/kafka'
import { SummaError } from '../shared/errors.ts'
import { decodeSumEvent } from '../shared/sum-event.ts'
import type { ConsumedRecord } from './db/apply-batch.ts'
import type { Poison } from './dead-letter-writer.ts'

/** Decodes each record; one that does not decode stays in `records` (event null) and is listed as poison. */
export function decodeBatch(batch: Array<Message<Buffer, Buffer, Buffer, Buffer>>): {
  records: ConsumedRecord[]
  poison: Poison[]
} {
  const records: ConsumedRecord[] = []
  const poison: Poison[] = []
  for (const message of batch) {
    try {
      records.push({
        partition: message.partition,
        offset: message.offset,
        event: decodeSumEvent(message.value),
      })
    } catch (error) {
      poison.push({ message, reason: SummaError.from(error).message })
      records.push({ partition: message.partition, offset: message.offset, event: null })
    }
  }
  return { records, poison }
}
