import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { ErrorCodes, SummaError } from '../errors.ts'

/**
 * API keys: the credential every summa API takes (docs/SECURITY.md says why
 * keys and not tokens from an identity provider). A key is 32 random bytes
 * shown once, when `summa keys create` makes it; the configuration holds only
 * its SHA-256, one entry per key as `id:scope+scope:sha256hex`. A plain hash
 * is enough because keys are random (256 bits): there is no dictionary to try.
 * Several entries may be active at once, which is how a key is rotated.
 */
export const scopes = ['add', 'read', 'admin'] as const
export type Scope = (typeof scopes)[number]

export interface ApiKeyEntry {
  /** The operator's name for the key: the `client` label of metrics, never secret. */
  id: string
  scopes: ReadonlySet<Scope>
  sha256: Buffer
}

/** Prefixed so that a key is recognisable in a secret scanner and in a misplaced paste. */
const keyPrefix = 'summa_'
const idPattern = /^[a-zA-Z0-9._-]{1,64}$/
/** The metrics' names for callers that are not a key (access-guard.ts). */
const reservedIds: ReadonlySet<string> = new Set(['anonymous', 'unknown', 'jwt'])

/** The SHA-256 of a key as it is configured (lower-case hex). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** A new random key and the entry that configures it. */
export function createApiKey(id: string, keyScopes: readonly Scope[]): { key: string; entry: string } {
  if (!idPattern.test(id) || reservedIds.has(id))
    throw new SummaError(
      ErrorCodes.INVALID_ARGUMENT,
      `key id must match ${idPattern} and be none of ${[...reservedIds].join(', ')}`,
    )
  const key = `${keyPrefix}${randomBytes(32).toString('base64url')}`
  return { key, entry: `${id}:${[...new Set(keyScopes)].join('+')}:${hashApiKey(key)}` }
}

export function isScope(name: string): name is Scope {
  return (scopes as readonly string[]).includes(name)
}

/**
 * Parses entries separated by commas, whitespace or new lines (the variable
 * and the file take the same text; `#` starts a comment in the file). The
 * message of a bad entry names its position and never repeats its text, which
 * may be a key pasted where its hash belongs.
 */
export function parseApiKeyEntries(text: string, source: string): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = []
  const tokens = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join(' ')
    .split(/[\s,]+/)
    .filter((token) => token !== '')
  for (const [index, token] of tokens.entries()) {
    const fail = (why: string): never => {
      throw new SummaError(ErrorCodes.INVALID_CONFIG, `${source}: entry ${index + 1} ${why}`, {
        field: source,
      })
    }
    const parts = token.split(':')
    if (parts.length !== 3) fail('is not id:scope+scope:sha256hex')
    const [id, scopeList, hash] = parts as [string, string, string]
    if (!idPattern.test(id)) fail(`has an id that does not match ${idPattern}`)
    if (reservedIds.has(id)) fail(`has the id ${id}, which metrics use for callers without a key`)
    if (!/^[0-9a-f]{64}$/i.test(hash)) fail('has no SHA-256 (64 hex digits) as its third part')
    const named = scopeList.split('+')
    const bad = named.find((scope) => !isScope(scope))
    if (bad !== undefined) fail(`names scope ${JSON.stringify(bad)}; scopes are ${scopes.join(', ')}`)
    if (entries.some((entry) => entry.id === id)) fail(`repeats the id ${id}`)
    entries.push({ id, scopes: new Set(named as Scope[]), sha256: Buffer.from(hash, 'hex') })
  }
  return entries
}

/**
 * The entry a presented key belongs to, or undefined. Every entry is compared,
 * each in constant time, so the time taken says nothing about which entry (or
 * how much of a hash) matched.
 */
export function findApiKey(entries: readonly ApiKeyEntry[], key: string): ApiKeyEntry | undefined {
  const presented = createHash('sha256').update(key, 'utf8').digest()
  let found: ApiKeyEntry | undefined
  for (const entry of entries) {
    if (timingSafeEqual(entry.sha256, presented) && found === undefined) found = entry
  }
  return found
}
