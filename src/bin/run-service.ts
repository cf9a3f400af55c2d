import { failureMessage } from '../cli/failure-message.ts'
import type { Config } from '../shared/config.ts'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import { handleShutdownSignals, Lifecycle } from '../shared/lifecycle.ts'
import { createLogger, type Logger } from '../shared/logger.ts'
import { isLoginRefused } from '../shared/login-refused.ts'
import { replicaIdOf } from '../shared/replica-id.ts'

type Starter = (config: Config, log: Logger, lifecycle: Lifecycle) => Promise<unknown>

/**
 * Imported on demand: a process loads only its own service's modules, which
 * keeps the calculator ~45 MB smaller than loading all three (Kafka client
 * included) would.
 */
export const services: Record<'calculator' | 'relay' | 'aggregator', () => Promise<Starter>> = {
  calculator: async () => (await import('../calculator/start-calculator.ts')).startCalculator,
  relay: async () => (await import('../relay/start-relay.ts')).startRelay,
  aggregator: async () => (await import('../aggregator/start-aggregator.ts')).startAggregator,
}

export type ServiceName = keyof typeof services

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(services, name)
}

/**
 * Runs one service until SIGTERM/SIGINT. A start-up failure closes whatever was
 * opened so far and exits 1 with the reason logged.
 */
export async function runService(name: ServiceName, config: Config): Promise<void> {
  const log = createLogger({
    level: config.SUMMA_LOG_LEVEL,
    service: name,
    replica: replicaIdOf(config, name),
  })
  const lifecycle = new Lifecycle(log)
  handleShutdownSignals({ lifecycle, log, timeoutMs: config.SUMMA_SHUTDOWN_TIMEOUT_MS })
  // Started by `summa up` with an IPC channel: if the supervisor dies, stop too.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason }, 'unhandled rejection: exiting')
    process.exit(1)
  })
  try {
    const start = await services[name]()
    await start(config, log, lifecycle)
  } catch (error) {
    // An expected failure (wrong password, a dependency unreachable, bad config) is one line
    // an operator can act on, its stack at debug; a bug keeps its stack in the fatal line.
    if (isBug(error)) log.fatal({ err: error }, 'start-up failed')
    else {
      log.debug({ err: error }, 'start-up failure detail')
      log.fatal({ reason: failureMessage(error) }, 'start-up failed')
    }
    await lifecycle.close().catch(() => {})
    process.exit(1)
  }
}

function isBug(error: unknown): boolean {
  return SummaError.from(error).code === ErrorCodes.INTERNAL && !isLoginRefused(error)
}
