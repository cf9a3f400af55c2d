import { startAggregator } from '../aggregator/start-aggregator.ts'
import { startCalculator } from '../calculator/start-calculator.ts'
import { startRelay } from '../relay/start-relay.ts'
import type { Config } from '../shared/config.ts'
import { handleShutdownSignals, Lifecycle } from '../shared/lifecycle.ts'
import { createLogger } from '../shared/logger.ts'

export const services = {
  calculator: startCalculator,
  relay: startRelay,
  aggregator: startAggregator,
} as const

export type ServiceName = keyof typeof services

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(services, name)
}

/**
 * Runs one service until SIGTERM/SIGINT. A start-up failure closes whatever was
 * opened so far and exits 1 with the reason logged.
 */
export async function runService(name: ServiceName, config: Config): Promise<void> {
  const log = createLogger({ level: config.SUMMA_LOG_LEVEL, service: name })
  const lifecycle = new Lifecycle(log)
  handleShutdownSignals({ lifecycle, log, timeoutMs: config.SUMMA_SHUTDOWN_TIMEOUT_MS })
  // Started by `summa up` with an IPC channel: if the supervisor dies, stop too.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason }, 'unhandled rejection: exiting')
    process.exit(1)
  })
  try {
    await services[name](config, log, lifecycle)
  } catch (error) {
    log.fatal({ err: error }, 'start-up failed')
    await lifecycle.close().catch(() => {})
    process.exit(1)
  }
}
