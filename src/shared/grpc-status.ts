import { status } from '@grpc/grpc-js'
import { type ErrorCode, ErrorCodes, SummaError } from './errors.ts'

/** The one place SummaError codes become gRPC status codes. */
export const grpcStatusByCode: Readonly<Record<ErrorCode, status>> = {
  [ErrorCodes.INVALID_ARGUMENT]: status.INVALID_ARGUMENT,
  [ErrorCodes.OUT_OF_RANGE]: status.OUT_OF_RANGE,
  [ErrorCodes.ALREADY_EXISTS]: status.ALREADY_EXISTS,
  [ErrorCodes.NOT_FOUND]: status.NOT_FOUND,
  [ErrorCodes.METHOD_NOT_ALLOWED]: status.UNIMPLEMENTED,
  // What grpc-js itself answers for a message over the receive limit.
  [ErrorCodes.TOO_LARGE]: status.RESOURCE_EXHAUSTED,
  [ErrorCodes.UNAVAILABLE]: status.UNAVAILABLE,
  [ErrorCodes.DEADLINE_EXCEEDED]: status.DEADLINE_EXCEEDED,
  [ErrorCodes.UNAUTHENTICATED]: status.UNAUTHENTICATED,
  [ErrorCodes.PERMISSION_DENIED]: status.PERMISSION_DENIED,
  [ErrorCodes.RATE_LIMITED]: status.RESOURCE_EXHAUSTED,
  [ErrorCodes.SHUTTING_DOWN]: status.UNAVAILABLE,
  [ErrorCodes.INVALID_CONFIG]: status.INTERNAL,
  [ErrorCodes.FAILED_PRECONDITION]: status.FAILED_PRECONDITION,
  [ErrorCodes.POISON_EVENT]: status.INTERNAL,
  [ErrorCodes.DATA_LOSS]: status.DATA_LOSS,
  [ErrorCodes.INTERNAL]: status.INTERNAL,
}

export interface GrpcError {
  code: status
  details: string
}

/** Internal messages are not sent to clients: they may describe our internals. */
export function toGrpcError(error: unknown): GrpcError {
  const summa = SummaError.from(error)
  const code = grpcStatusByCode[summa.code]
  return { code, details: code === status.INTERNAL ? 'internal error' : summa.message }
}
