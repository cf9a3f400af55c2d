import { type ErrorCode, ErrorCodes } from './errors.ts'

/** The one place SummaError codes become HTTP statuses. */
export const httpStatusByCode: Readonly<Record<ErrorCode, number>> = {
  [ErrorCodes.INVALID_ARGUMENT]: 400,
  [ErrorCodes.OUT_OF_RANGE]: 400,
  [ErrorCodes.ALREADY_EXISTS]: 409,
  [ErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.DEADLINE_EXCEEDED]: 504,
  [ErrorCodes.SHUTTING_DOWN]: 503,
  [ErrorCodes.INVALID_CONFIG]: 500,
  [ErrorCodes.POISON_EVENT]: 500,
  [ErrorCodes.DATA_LOSS]: 500,
  [ErrorCodes.INTERNAL]: 500,
}
