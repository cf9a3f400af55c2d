/** An error's code and message, without its stack, for a log line repeated on every retry. */
export function briefly(error: unknown): { code?: string; message: string } {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? { code, message } : { message }
}

/**
 * The log fields for a retry loop's failure: the whole error (stack included) on the first
 * attempt, its code and message after that, since an outage repeats the line every few seconds.
 */
export function retryCause(
  attempt: number,
  error: unknown,
): { err: unknown } | { cause: ReturnType<typeof briefly> } {
  return attempt === 1 ? { err: error } : { cause: briefly(error) }
}
