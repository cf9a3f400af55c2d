import { ErrorCodes, SummaError } from '../shared/errors.ts'
import { isLoginRefused } from '../shared/login-refused.ts'
import { redactSecrets } from '../shared/redact.ts'

/**
 * The one line a CLI command prints when it fails: what went wrong, in words an
 * operator can act on (a wrong password, a database that does not answer, an
 * invalid setting), with any credential masked. The stack is not part of it:
 * these are expected failures, not bugs, and `SUMMA_LOG_LEVEL=debug` shows it.
 */
export function failureMessage(error: unknown): string {
  const summa = SummaError.from(error)
  const original = error instanceof SummaError && error.cause !== undefined ? error.cause : error
  const detail = describe(original)
  let text: string
  if (isLoginRefused(error)) text = `PostgreSQL refused the login: ${detail}`
  else if (error instanceof SummaError) text = `${summa.message}${original === error ? '' : ` (${detail})`}`
  else if (summa.code === ErrorCodes.UNAVAILABLE) text = `a dependency is unavailable: ${detail}`
  else text = detail
  return redactSecrets(text.split('\n')[0] ?? '')
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** The message, or for an AggregateError (every address of a host refused) its first inner one. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (error.message !== '') return error.message
  const inner = (error as { errors?: unknown[] }).errors?.[0]
  if (inner !== undefined) return describe(inner)
  return codeOf(error) ?? error.name
}
