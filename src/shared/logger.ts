import { pino } from 'pino'
import { redactDeep, redactedMask, secretLogPaths } from './redact.ts'

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
 * client sends are its business, and credentials are masked (redact.ts). A line written inside a traced operation
 * carries its trace_id and span_id, so logs and traces join in Grafana.
 */
export function createLogger(
  { level, service, replica }: LoggerOptions,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: replica === undefined ? { service } : { service, replica },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    // Credentials never reach a log line: known secret fields are masked by name, and an
    // error's text (a driver may quote its connection string) has URL passwords masked.
    redact: { paths: [...secretLogPaths], censor: redactedMask },
    serializers: { err: (error: unknown) => redactDeep(pino.stdSerializers.err(error as Error)) },
  }
  // stdout written synchronously: a process that ends by re-raising its stop signal
  // (stop-signals.ts) dies the moment the signal lands, and an asynchronous write still in
  // flight then (the 'stopped' line) was lost under load; a flush on exit writes only what is
  // queued, not what is in flight. summa logs lifecycle events and failures, not requests (per
  // request only at debug), so a write per line costs nothing measurable. The price: a reader
  // of stdout that stops reading (a blocking log driver with a stalled backend) stalls the
  // process at its next line, as Node's own console does on a pipe on Linux. A destination
  // other than stdout only in tests, which read what was written.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }))
}

/** The ids of the active span, if any; set when tracing is turned on (telemetry/tracing-sdk.ts). */
let activeSpanIds: () => { traceId: string; spanId: string } | undefined = () => undefined

/**
 * Called by the tracing SDK once it has installed the context manager: the
 * logger does not import the OpenTelemetry API itself, which a process that
 * does not trace would load for nothing (no span is ever active there).
 */
export function readActiveSpanWith(reader: () => { traceId: string; spanId: string } | undefined): void {
  activeSpanIds = reader
}

/** trace_id and span_id of the active span; nothing when tracing is off or no span is active. */
export function traceFields(): Record<string, string> {
  const ids = activeSpanIds()
  if (ids === undefined) return {}
  return { trace_id: ids.traceId, span_id: ids.spanId }
}
