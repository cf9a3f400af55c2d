const int64Min = -(2n ** 63n)
const int64Max = 2n ** 63n - 1n
const decimal = /^-?\d{1,19}$/

export function isInt64(value: bigint): boolean {
  return value >= int64Min && value <= int64Max
}

/**
 * Parses a decimal int64 exactly, or returns undefined. Stricter than the
 * protobuf runtime, which turns "1.5" into 1, "abc" into 0 and wraps values
 * past 2^63: such input must be refused, never silently become another number.
 */
export function parseInt64(text: string): bigint | undefined {
  if (!decimal.test(text)) return undefined
  const value = BigInt(text)
  return isInt64(value) ? value : undefined
}
