import { context, trace } from '@opentelemetry/api'
import { pino } from 'pino'

export type Logger = pino.Logger

export interface LoggerOptions {
  level: string
  service: string
  /** The replica id (src/shared/replica-id.ts), on every line. */
  replica?: string
}

/**
 * JSON logs on stdout, one object a line. Payloads are never logged at info:
 * request ids and counts are enough to follow a request, and the numbers a
 * client sends are its business. A line written inside a traced operation
 * carries its trace_id and span_id, so logs and traces join in Grafana.
 */
export function createLogger({ level, service, replica }: LoggerOptions): Logger {
  return pino({
    level,
    base: replica === undefined ? { service } : { service, replica },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
  })
}

/** trace_id and span_id of the active span; nothing when tracing is off or no span is active. */
export function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active())
  if (span === undefined) return {}
  const { traceId, spanId } = span.spanContext()
  return { trace_id: traceId, span_id: spanId }
}
