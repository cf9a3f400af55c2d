import { ErrorCodes, SummaError } from '../../shared/errors.ts'

/**
 * The label of summa_add_rejected_total: why the input was refused, from a
 * fixed list, or undefined when the failure was not the input's fault.
 */
export function rejectionReason(error: unknown): string | undefined {
  if (!(error instanceof SummaError)) return undefined
  switch (error.code) {
    case ErrorCodes.INVALID_ARGUMENT:
      return error.field === 'request_id' ? 'invalid_request_id' : 'invalid_number'
    case ErrorCodes.OUT_OF_RANGE:
      return 'sum_out_of_range'
    case ErrorCodes.ALREADY_EXISTS:
      return 'request_id_reused'
    default:
      return undefined
  }
}
