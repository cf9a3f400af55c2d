import { ErrorCodes, SummaError } from '../shared/errors.ts'
import { isInt64 } from '../shared/sum-event.ts'

/** A validated Add: the numbers as exact bigints and the sum already checked against int64. */
export interface AddInput {
  requestId: string
  num1: bigint
  num2: bigint
  sum: bigint
}

/** What the wire gives us: proto-loader hands int64 over as decimal strings, never as floats. */
export interface RawAddRequest {
  requestId?: unknown
  num1?: unknown
  num2?: unknown
  /**
   * Set by the seed-compatible APIs (grpc/compat): their request id comes from
   * a metadata header, named here so that a rejection names what the client
   * sent, and their answer is an int32, so a sum outside int32 is refused
   * (never wrapped, as the seeds' Java servers did).
   */
  compat?: { requestIdFrom: string; sumType: 'int32' }
}

const int32Min = -(2n ** 31n)
const int32Max = 2n ** 31n - 1n

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const int64Pattern = /^-?\d{1,19}$/

/**
 * Validates an Add before anything is written. Every rejection names the field,
 * so a client can fix its request without reading our code.
 */
export function parseAddInput(raw: RawAddRequest): AddInput {
  const requestId = raw.requestId
  const idName = raw.compat?.requestIdFrom ?? 'request_id'
  if (typeof requestId !== 'string' || (requestId === '' && raw.compat === undefined)) {
    throw invalid('request_id', 'request_id is required (a UUID chosen by the client)')
  }
  if (requestId.length !== 36 || !uuidPattern.test(requestId)) {
    throw invalid('request_id', `${idName} must be a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e`)
  }
  const num1 = parseInt64(raw.num1, 'num1')
  const num2 = parseInt64(raw.num2, 'num2')
  const sum = num1 + num2
  if (!isInt64(sum)) {
    throw new SummaError(ErrorCodes.OUT_OF_RANGE, `num1 + num2 = ${sum} does not fit in int64`, {
      field: 'num1',
    })
  }
  if (raw.compat?.sumType === 'int32' && (sum < int32Min || sum > int32Max)) {
    throw new SummaError(
      ErrorCodes.OUT_OF_RANGE,
      `the sum ${sum} does not fit in int32 (${int32Min} to ${int32Max}), the type this API answers in; summa.v1.CalculatorService/Add answers int64`,
      { field: 'num1' },
    )
  }
  return { requestId: requestId.toLowerCase(), num1, num2, sum }
}

function parseInt64(value: unknown, field: string): bigint {
  // Missing int64 fields decode as "0" under proto3; anything else is a client
  // bug (a JSON gateway, a float) and must not be guessed at.
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value
  if (typeof text !== 'string' || !int64Pattern.test(text)) {
    throw invalid(field, `${field} must be an integer in int64 range`)
  }
  const parsed = BigInt(text)
  if (!isInt64(parsed)) throw invalid(field, `${field} must be an integer in int64 range`)
  return parsed
}

function invalid(field: string, message: string): SummaError {
  return new SummaError(ErrorCodes.INVALID_ARGUMENT, message, { field })
}
