/** How a dead letter ended up: the `outcome` label of summa_dead_letters_total. */
export const DeadLetterOutcomes = {
  /** A copy of the record is on the dead-letter topic. */
  published: 'published',
  /** The topic refused the copy; a reference to the original is there instead. */
  reference: 'reference',
  /** The topic refused both; the record is in PostgreSQL's dead_letters table. */
  stored: 'stored',
} as const
