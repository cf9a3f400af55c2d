import { SummaError } from './errors.ts'

// PostgreSQL's class 28: invalid_authorization_specification, invalid_password.
const loginRefusedCodes = new Set(['28000', '28P01'])

/**
 * PostgreSQL refused the user or the password: a setting to fix, not a bug and
 * not an outage, so it is told apart from both (one line in the CLI, reason
 * INVALID_CONFIG in /health).
 */
export function isLoginRefused(error: unknown): boolean {
  const original = error instanceof SummaError && error.cause !== undefined ? error.cause : error
  const code = (original as { code?: unknown } | null)?.code
  return typeof code === 'string' && loginRefusedCodes.has(code)
}
