/**
 * The dead-letter topic: its name and the headers summa puts on every record
 * it writes there. Part of the published event contract
 * (docs/schemas/sum-event.v1.json): the aggregator writes dead letters, and
 * `summa dlq redrive` and operators read them.
 */

/** Where the aggregator sends the records of `topic` it cannot apply. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`
}

/** Every header summa adds to a dead letter starts with this; incoming ones are dropped. */
export const deadLetterHeaderPrefix = 'summa-dlq-'

export const deadLetterHeaders = {
  reason: 'summa-dlq-reason',
  topic: 'summa-dlq-original-topic',
  partition: 'summa-dlq-original-partition',
  offset: 'summa-dlq-original-offset',
  failedAt: 'summa-dlq-failed-at',
  /** `copy` (the original key and value) or `reference` (where to find the original). */
  kind: 'summa-dlq-kind',
  size: 'summa-dlq-original-size',
  sha256: 'summa-dlq-original-sha256',
} as const

export const DeadLetterKinds = { copy: 'copy', reference: 'reference' } as const
export type DeadLetterKind = (typeof DeadLetterKinds)[keyof typeof DeadLetterKinds]
