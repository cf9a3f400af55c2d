import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose'
import { ErrorCodes, SummaError } from '../errors.ts'
import { isScope, type Scope } from './api-keys.ts'

/**
 * JWTs as a second credential, for deployments whose clients already get
 * tokens from an identity provider: verified against the provider's JWKS (a
 * URL, fetched and cached, refetched when a token names an unknown key id, so
 * the provider's key rotation needs nothing here; or a file, for offline use),
 * with the configured issuer and audience, and `exp`/`nbf` within a minute of
 * the clock. summa's scopes are read from the `scope` claim (space-separated,
 * RFC 8693 / RFC 9068) or `scp` (a list): `add`, `read`, `admin`.
 */
export interface JwtSettings {
  jwks: { url: string } | { keys: JSONWebKeySet }
  issuer: string
  audience: string
}

export interface VerifiedToken {
  subject: string
  scopes: ReadonlySet<Scope>
}

/** Three base64url parts: what a JWS in compact form looks like, and an API key (`summa_…`) never does. */
const compactJws = /^[\w-]+\.[\w-]+\.[\w-]*$/

export function looksLikeJwt(token: string): boolean {
  return compactJws.test(token)
}

/** Asymmetric algorithms only: a JWKS of public keys cannot verify an HMAC, and `none` is never taken. */
const algorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]

type Jose = typeof import('jose')

/**
 * jose is imported here, when a JWKS is configured, and not by the module: a
 * service whose clients use API keys alone never runs it, and loading it costs
 * ~0.5 MB of heap (measured in the calculator at start-up).
 */
export async function createJwtVerifier(settings: JwtSettings): Promise<JwtVerifier> {
  return new JwtVerifier(settings, await import('jose'))
}

export class JwtVerifier {
  readonly #jose: Jose
  readonly #keys: JWTVerifyGetKey
  readonly #settings: JwtSettings

  constructor(settings: JwtSettings, jose: Jose) {
    this.#jose = jose
    this.#settings = settings
    this.#keys =
      'url' in settings.jwks
        ? jose.createRemoteJWKSet(new URL(settings.jwks.url), {
            timeoutDuration: 5000,
            cooldownDuration: 30_000,
          })
        : jose.createLocalJWKSet(settings.jwks.keys)
  }

  get issuer(): string {
    return this.#settings.issuer
  }

  /** The token's subject and scopes; UNAUTHENTICATED (saying why, never repeating the token) when it does not verify. */
  async verify(token: string): Promise<VerifiedToken> {
    try {
      const { payload } = await this.#jose.jwtVerify(token, this.#keys, {
        issuer: this.#settings.issuer,
        audience: this.#settings.audience,
        algorithms,
        clockTolerance: 60,
        requiredClaims: ['exp'],
      })
      const named =
        typeof payload.scope === 'string'
          ? payload.scope.split(' ')
          : Array.isArray(payload.scp)
            ? payload.scp.map(String)
            : typeof payload.scp === 'string'
              ? payload.scp.split(' ')
              : []
      return { subject: payload.sub ?? '', scopes: new Set(named.filter(isScope)) }
    } catch (error) {
      const { errors } = this.#jose
      // The issuer's keys out of reach is not the client's fault: it may retry.
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError))
        throw new SummaError(ErrorCodes.UNAVAILABLE, "the token issuer's keys (JWKS) cannot be fetched", {
          cause: error,
        })
      throw new SummaError(ErrorCodes.UNAUTHENTICATED, `the token was refused: ${reasonOf(error, errors)}`, {
        cause: error,
      })
    }
  }
}

/** jose's error codes, worded for a client; anything else (the JWKS unreachable, say) stays vague. */
function reasonOf(error: unknown, errors: Jose['errors']): string {
  if (error instanceof errors.JWTExpired) return 'it has expired'
  if (error instanceof errors.JWTClaimValidationFailed) return `its ${error.claim} claim is not accepted`
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer matches it'
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify'
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not accepted'
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'it is not a valid JWT'
  return 'it could not be verified'
}
