import type { Logger } from '../shared/logger.ts'

/**
 * Leaves the group and closes the consumer, trying again when leaving fails (a LeaveGroup that
 * timed out on a busy broker): the client then stays a member, heartbeating every interval, and
 * that timer alone would keep the process from exiting after a graceful stop.
 */
export async function closeConsumer(
  consumer: { close: (force: boolean) => Promise<void> },
  log: Logger,
): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await consumer.close(true)
      return
    } catch (error) {
      log.warn({ err: error, attempt }, 'the Kafka consumer did not close; trying again')
    }
  }
}
