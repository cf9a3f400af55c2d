import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import type { JSONWebKeySet } from 'jose'
import type { Config } from '../config.ts'
import { ErrorCodes, SummaError } from '../errors.ts'
import { type ApiKeyEntry, parseApiKeyEntries } from './api-keys.ts'
import type { JwtSettings } from './jwt-tokens.ts'

/** How a service authenticates its callers, decided once at start-up. */
export type AccessMode =
  | { kind: 'credentials'; keys: readonly ApiKeyEntry[]; jwt: JwtSettings | undefined }
  | { kind: 'open'; why: 'loopback'; host: string }
  | { kind: 'open'; why: 'gateway' }

type AccessConfig = Pick<
  Config,
  | 'SUMMA_HOST'
  | 'SUMMA_AUTH'
  | 'SUMMA_API_KEYS'
  | 'SUMMA_API_KEYS_FILE'
  | 'SUMMA_JWKS_URL'
  | 'SUMMA_JWKS_FILE'
  | 'SUMMA_JWT_ISSUER'
  | 'SUMMA_JWT_AUDIENCE'
>

/**
 * Protected mode, as Redis has it: with API keys configured they are required
 * on every protected API; without, summa runs open only when bound to loopback
 * (`make up`, a laptop) or when the operator says a gateway in front
 * authenticates (SUMMA_AUTH=off-behind-gateway). Bound to any other address
 * with neither, it refuses to start: an open calculator on a network moves the
 * total for anyone who finds the port. Throws INVALID_CONFIG before anything
 * binds, so `summa calculator` exits non-zero having opened nothing.
 */
export function accessModeOf(
  config: AccessConfig,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): AccessMode {
  const keys = configuredApiKeys(config, readFile)
  const jwt = jwtSettingsOf(config, readFile)
  if (config.SUMMA_AUTH === 'off-behind-gateway') {
    if (keys.length > 0 || jwt !== undefined)
      throw new SummaError(
        ErrorCodes.INVALID_CONFIG,
        'SUMMA_AUTH=off-behind-gateway turns authentication off, yet API keys or a JWKS are configured: set one or the other',
        { field: 'SUMMA_AUTH' },
      )
    return { kind: 'open', why: 'gateway' }
  }
  if (keys.length > 0 || jwt !== undefined) return { kind: 'credentials', keys, jwt }
  if (isLoopback(config.SUMMA_HOST)) return { kind: 'open', why: 'loopback', host: config.SUMMA_HOST }
  throw new SummaError(
    ErrorCodes.INVALID_CONFIG,
    `protected mode: SUMMA_HOST=${config.SUMMA_HOST} is not a loopback address and no API keys are configured, ` +
      'so every API would be open to the network. Set SUMMA_API_KEYS or SUMMA_API_KEYS_FILE (create keys with ' +
      '`summa keys create --scopes add,read`) or SUMMA_JWKS_URL with SUMMA_JWT_ISSUER and SUMMA_JWT_AUDIENCE, ' +
      'or SUMMA_AUTH=off-behind-gateway if a gateway in front ' +
      'authenticates callers, or bind to loopback with SUMMA_HOST=127.0.0.1.',
    { field: 'SUMMA_HOST' },
  )
}

/** Every key entry of SUMMA_API_KEYS and SUMMA_API_KEYS_FILE together; empty when neither is set. */
export function configuredApiKeys(
  config: Pick<AccessConfig, 'SUMMA_API_KEYS' | 'SUMMA_API_KEYS_FILE'>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ApiKeyEntry[] {
  const keys = [
    ...(config.SUMMA_API_KEYS === undefined
      ? []
      : parseApiKeyEntries(config.SUMMA_API_KEYS, 'SUMMA_API_KEYS')),
    ...(config.SUMMA_API_KEYS_FILE === undefined
      ? []
      : parseApiKeyEntries(readKeysFile(config.SUMMA_API_KEYS_FILE, readFile), 'SUMMA_API_KEYS_FILE')),
  ]
  const ids = new Set<string>()
  for (const key of keys) {
    if (ids.has(key.id))
      throw new SummaError(ErrorCodes.INVALID_CONFIG, `API key id ${key.id} is configured twice`, {
        field: 'SUMMA_API_KEYS',
      })
    ids.add(key.id)
  }
  return keys
}

/** The JWT settings, when a JWKS is configured: then the issuer and the audience must be too. */
function jwtSettingsOf(config: AccessConfig, readFile: (path: string) => string): JwtSettings | undefined {
  const {
    SUMMA_JWKS_URL: url,
    SUMMA_JWKS_FILE: file,
    SUMMA_JWT_ISSUER: issuer,
    SUMMA_JWT_AUDIENCE: audience,
  } = config
  if (url === undefined && file === undefined) {
    if (issuer !== undefined || audience !== undefined)
      throw new SummaError(
        ErrorCodes.INVALID_CONFIG,
        'SUMMA_JWT_ISSUER and SUMMA_JWT_AUDIENCE need SUMMA_JWKS_URL or SUMMA_JWKS_FILE',
        { field: 'SUMMA_JWKS_URL' },
      )
    return undefined
  }
  const invalid = (message: string, field: string) =>
    new SummaError(ErrorCodes.INVALID_CONFIG, message, { field })
  if (url !== undefined && file !== undefined)
    throw invalid('set SUMMA_JWKS_URL or SUMMA_JWKS_FILE, not both', 'SUMMA_JWKS_URL')
  if (issuer === undefined || audience === undefined)
    throw invalid(
      'a JWKS needs SUMMA_JWT_ISSUER and SUMMA_JWT_AUDIENCE: tokens are checked against both',
      'SUMMA_JWT_ISSUER',
    )
  if (url !== undefined) return { jwks: { url }, issuer, audience }
  let keys: unknown
  try {
    keys = JSON.parse(readFile(file!))
  } catch (error) {
    throw invalid(
      `SUMMA_JWKS_FILE=${file} is not a readable JSON file: ${(error as Error).message}`,
      'SUMMA_JWKS_FILE',
    )
  }
  if (!Array.isArray((keys as { keys?: unknown } | null)?.keys))
    throw invalid(`SUMMA_JWKS_FILE=${file} is not a JWKS ({"keys": [...]})`, 'SUMMA_JWKS_FILE')
  return { jwks: { keys: keys as JSONWebKeySet }, issuer, audience }
}

/** 127.0.0.0/8, ::1 and `localhost`: addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare)
  return false
}

function readKeysFile(path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path)
  } catch (error) {
    throw new SummaError(
      ErrorCodes.INVALID_CONFIG,
      `SUMMA_API_KEYS_FILE=${path} cannot be read: ${(error as Error).message}`,
      { field: 'SUMMA_API_KEYS_FILE', cause: error },
    )
  }
}
