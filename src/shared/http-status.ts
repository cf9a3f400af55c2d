import { type ErrorCode, ErrorCodes, SummaError } from './errors.ts'

/** The one place SummaError codes become HTTP statuses. */
export const httpStatusByCode: Readonly<Record<ErrorCode, number>> = {
  [ErrorCodes.INVALID_ARGUMENT]: 400,
  [ErrorCodes.OUT_OF_RANGE]: 400,
  [ErrorCodes.ALREADY_EXISTS]: 409,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.METHOD_NOT_ALLOWED]: 405,
  [ErrorCodes.TOO_LARGE]: 413,
  [ErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.DEADLINE_EXCEEDED]: 504,
  [ErrorCodes.UNAUTHENTICATED]: 401,
  [ErrorCodes.PERMISSION_DENIED]: 403,
  [ErrorCodes.RATE_LIMITED]: 429,
  [ErrorCodes.SHUTTING_DOWN]: 503,
  [ErrorCodes.INVALID_CONFIG]: 500,
  // The server's own state, not the request: 412 is about a request's preconditions.
  [ErrorCodes.FAILED_PRECONDITION]: 500,
  [ErrorCodes.POISON_EVENT]: 500,
  [ErrorCodes.DATA_LOSS]: 500,
  [ErrorCodes.INTERNAL]: 500,
}

/** What an HTTP client is told about a failure: the status and the `{"error", "message"}` body. */
export interface HttpError {
  status: number
  code: ErrorCode
  message: string
}

/**
 * Every failure an HTTP server answers goes through here. A SummaError gets its
 * table status. Errors raised while reading a request (Fastify's
 * FST_ERR_CTP_BODY_TOO_LARGE, FST_ERR_CTP_INVALID_MEDIA_TYPE, a JSON syntax
 * error, …) carry a 4xx `statusCode`: that status is kept and the code names the
 * kind of refusal, so a 413 says TOO_LARGE and never INTERNAL. Anything else is
 * ours: a 500 whose message is not sent (it may describe internals).
 */
export function httpErrorOf(error: unknown): HttpError {
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode
  if (
    !(error instanceof SummaError) &&
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500
  ) {
    const message = error instanceof Error ? error.message : String(error)
    return { status: statusCode, code: codeOfClientStatus(statusCode), message }
  }
  const summa = SummaError.from(error)
  const status = httpStatusByCode[summa.code]
  // As over gRPC, only a failure of ours (500) hides its message; 503 and 504 say what to do.
  return { status, code: summa.code, message: status === 500 ? 'internal error' : summa.message }
}

function codeOfClientStatus(status: number): ErrorCode {
  switch (status) {
    case 404:
      return ErrorCodes.NOT_FOUND
    case 405:
      return ErrorCodes.METHOD_NOT_ALLOWED
    case 401:
      return ErrorCodes.UNAUTHENTICATED
    case 403:
      return ErrorCodes.PERMISSION_DENIED
    case 429:
      return ErrorCodes.RATE_LIMITED
    case 413: // content too large
    case 414: // URI too long
    case 431: // header fields too large
      return ErrorCodes.TOO_LARGE
    default:
      return ErrorCodes.INVALID_ARGUMENT
  }
}
