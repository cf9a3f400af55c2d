/**
 * summa's one application error type. Every failure a caller can branch on has a
 * code from the closed list below; transports map codes to their own status
 * vocabulary in exactly one place each (grpc-status.ts, http-status.ts).
 */
export const ErrorCodes = {
  /** Input failed validation; `field` names the offending field. Nothing changed. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The exact result does not fit the type the contract promises (int64 sums). */
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  /** An idempotency key was reused with different arguments. */
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** Nothing answers at this path (HTTP) or method name. */
  NOT_FOUND: 'NOT_FOUND',
  /** The path exists but not for this method; the answer says which methods it takes. */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** A body, message or header block over summa's limit: the same request is refused again. */
  TOO_LARGE: 'TOO_LARGE',
  /** A dependency (PostgreSQL, Kafka) cannot be reached right now; retrying later may succeed. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** The caller's deadline passed or it cancelled; the outcome may or may not have been recorded. */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /** No credentials, or credentials summa does not know: who is calling is unknown. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The credentials are valid but lack the scope this operation needs. */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  /** The client is over its request rate; the answer says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The process is shutting down and accepts no new work. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** Configuration is invalid; start-up stops. */
  INVALID_CONFIG: 'INVALID_CONFIG',
  /**
   * The system is not in the state the operation needs, and retrying unchanged fails again
   * (a migration edited after it was applied): an operator must put the state right.
   */
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  /** A record on the topic cannot be decoded; it goes to the dead-letter topic. */
  POISON_EVENT: 'POISON_EVENT',
  /**
   * Records the total depends on are gone (deleted by retention before they were
   * applied, or the topic was re-created): an operator must decide what to do.
   */
  DATA_LOSS: 'DATA_LOSS',
  /** A bug: an invariant the code relies on did not hold. */
  INTERNAL: 'INTERNAL',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/** Codes whose operation may succeed if simply retried later, unchanged. */
const retriable: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.UNAVAILABLE,
  ErrorCodes.DEADLINE_EXCEEDED,
  ErrorCodes.SHUTTING_DOWN,
  ErrorCodes.RATE_LIMITED,
])

export interface SummaErrorOptions {
  /** The input field at fault, for INVALID_ARGUMENT. */
  field?: string
  cause?: unknown
}

export class SummaError extends Error {
  override readonly name = 'SummaError'
  readonly code: ErrorCode
  readonly field: string | undefined

  constructor(code: ErrorCode, message: string, options: SummaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.field = options.field
  }

  /** True when the same call may succeed later without changes. */
  get canRetry(): boolean {
    return retriable.has(this.code)
  }

  /**
   * Normalises anything thrown into a SummaError. Unknown errors become INTERNAL
   * unless they are transient (a lost connection, a deadlock, a failover), which
   * callers must see as UNAVAILABLE so that clients retry instead of giving up.
   */
  static from(error: unknown): SummaError {
    if (error instanceof SummaError) return error
    if (isConnectionError(error)) {
      return new SummaError(ErrorCodes.UNAVAILABLE, 'a dependency is unavailable', { cause: error })
    }
    const message = error instanceof Error ? error.message : String(error)
    return new SummaError(ErrorCodes.INTERNAL, message, { cause: error })
  }
}

const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown: PostgreSQL is stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: PostgreSQL is starting or in recovery
  '53300', // too_many_connections
  '57014', // query_canceled (statement timeout)
  '40001', // serialization_failure: retrying the same request is correct
  '40P01', // deadlock_detected: likewise
  '25006', // read_only_sql_transaction: connected to a standby during a failover
])

function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  // Class 08 is PostgreSQL's "connection exception".
  return typeof code === 'string' && (connectionErrorCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code))
}
