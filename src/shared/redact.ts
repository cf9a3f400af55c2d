/**
 * Keeps credentials out of everything summa prints: configuration errors, log
 * lines, CLI messages. A connection string reaches text in many ways (an
 * invalid setting echoed back, a driver error that quotes its URL, a stack),
 * so the rule is applied where text leaves the process, not where it is made.
 */

/** The mask put where a secret was. */
export const redactedMask = '***'

/**
 * Settings whose value is or may carry a credential (a key, a password, a URL's user:password). An
 * invalid one is named but never echoed: the value may not even parse as a
 * URL, so masking its password is not reliable.
 */
export const secretSettings: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'SUMMA_OTEL_EXPORTER_URL',
  'SUMMA_API_KEY',
  'SUMMA_API_KEYS',
  'SUMMA_EVENT_SIGNING_KEY',
  'SUMMA_EVENT_VERIFY_KEYS',
  'KAFKA_SASL_PASSWORD',
])

/**
 * Log fields masked wherever they appear one level deep (pino `redact`
 * paths): a config object or a connection's options logged whole.
 */
export const secretLogPaths: readonly string[] = [...secretSettings, 'password', 'connectionString'].flatMap(
  (key) => [key, `*.${key}`],
)

// scheme://user:password@host: the password runs to the last '@' before a space or quote,
// so a password with an unescaped '@' is masked whole (masking too much is the safe side).
const urlPassword = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'`]*:)[^\s"'`]*@/gi
// libpq key=value connection strings: password=secret or password='se cret'.
const keywordPassword = /\b(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'"]+)/gi

/** `text` with every URL password and `password=` value replaced by ***. */
export function redactSecrets(text: string): string {
  return text.replace(urlPassword, `$1${redactedMask}@`).replace(keywordPassword, `$1${redactedMask}`)
}

/**
 * A copy of a serialized error (pino's err serializer output, or anything
 * JSON-like) with every string passed through redactSecrets: message, stack,
 * causes and the driver's own fields alike.
 */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactSecrets(value) as T
  if (typeof value !== 'object' || value === null || depth > 8) return value
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1)) as T
  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    copy[key] = secretSettings.has(key) || key === 'password' ? redactedMask : redactDeep(item, depth + 1)
  }
  return copy as T
}
