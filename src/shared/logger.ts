import { pino } from 'pino'

export type Logger = pino.Logger

export interface LoggerOptions {
  level: string
  service: string
}

/**
 * JSON logs on stdout, one object a line. Payloads are never logged at info:
 * request ids and counts are enough to follow a request, and the numbers a
 * client sends are its business.
 */
export function createLogger({ level, service }: LoggerOptions): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  })
}
