import { Counter, type Registry } from 'prom-client'
import { ErrorCodes, SummaError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { type ApiKeyEntry, findApiKey, type Scope } from './api-keys.ts'
import { createJwtVerifier, type JwtVerifier, looksLikeJwt } from './jwt-tokens.ts'
import type { AccessMode } from './protected-mode.ts'
import { TokenBuckets } from './token-bucket.ts'

/** The client label of calls made without credentials where none are required. */
export const anonymousClient = 'anonymous'
/** The client label of calls whose credentials were missing or unknown: who called is not known. */
const unknownClient = 'unknown'
/**
 * The client label of every call made with a JWT: subjects come from the
 * issuer, not from summa's configuration, so they would not bound the label
 * set. Rate limits still apply per subject.
 */
const jwtClient = 'jwt'

export type AccessDecision =
  | { ok: true; client: string }
  | { ok: false; error: SummaError /** Set for RATE_LIMITED. */; retryAfterMs?: number }

export interface RateLimit {
  /** 0: no limit. */
  perSecond: number
  burst: number
}

/**
 * Decides every call to a protected API, over gRPC and HTTP alike: who the
 * caller is (the API key in `authorization`), whether its key has the scope
 * the call needs, and whether it is within its rate. Each decision is counted
 * in summa_client_requests_total{client, outcome}; `client` is a configured
 * key id, "anonymous" or "unknown", so the label set is bounded by the
 * configuration, never by what callers send.
 */
export class AccessGuard {
  readonly #keys: readonly ApiKeyEntry[] | undefined
  readonly #jwt: JwtVerifier | undefined
  readonly #buckets: TokenBuckets | undefined
  readonly #requests: Counter<'client' | 'outcome'>

  /** Asynchronous for the JWT verifier, whose library is loaded only when a JWKS is configured (jwt-tokens.ts). */
  static async create(options: {
    mode: AccessMode
    rateLimit: RateLimit
    registry: Registry
  }): Promise<AccessGuard> {
    const mode = options.mode
    const jwt =
      mode.kind === 'credentials' && mode.jwt !== undefined ? await createJwtVerifier(mode.jwt) : undefined
    return new AccessGuard(options, jwt)
  }

  private constructor(
    options: { mode: AccessMode; rateLimit: RateLimit; registry: Registry },
    jwt: JwtVerifier | undefined,
  ) {
    const mode = options.mode
    this.#keys = mode.kind === 'credentials' ? mode.keys : undefined
    this.#jwt = jwt
    this.#buckets =
      options.rateLimit.perSecond > 0
        ? new TokenBuckets({ perSecond: options.rateLimit.perSecond, burst: options.rateLimit.burst })
        : undefined
    this.#requests = new Counter({
      name: 'summa_client_requests_total',
      help: 'Calls to protected APIs by client (API key id, "jwt" for tokens, "anonymous" when credentials are off, "unknown" for missing or refused credentials) and outcome (allowed, unauthenticated, forbidden, rate_limited).',
      labelNames: ['client', 'outcome'],
      registers: [options.registry],
    })
  }

  /** `authorization`: the header's value as sent (`Bearer KEY` or `Bearer JWT`, or `Basic` with the key as password). */
  async check(authorization: string | undefined, scope: Scope): Promise<AccessDecision> {
    let client = anonymousClient
    let bucket = anonymousClient
    if (this.#keys !== undefined) {
      const token = presentedKey(authorization)
      const identity = token === undefined ? undefined : await this.#identify(token)
      if (identity === undefined || identity instanceof SummaError) {
        this.#requests.inc({ client: unknownClient, outcome: 'unauthenticated' })
        const error =
          identity ??
          new SummaError(
            ErrorCodes.UNAUTHENTICATED,
            `${token === undefined ? 'no API key was sent' : 'the API key is not known'}; send one as "authorization: Bearer KEY"`,
          )
        return { ok: false, error }
      }
      client = identity.client
      bucket = identity.bucket
      if (!identity.scopes.has(scope)) {
        this.#requests.inc({ client, outcome: 'forbidden' })
        const who =
          client === jwtClient
            ? `the token of ${JSON.stringify(identity.bucket.slice(4))}`
            : `API key ${client}`
        return {
          ok: false,
          error: new SummaError(ErrorCodes.PERMISSION_DENIED, `${who} lacks the ${scope} scope`),
        }
      }
    }
    const waitMs = this.#buckets?.take(bucket) ?? 0
    if (waitMs > 0) {
      this.#requests.inc({ client, outcome: 'rate_limited' })
      return {
        ok: false,
        error: new SummaError(
          ErrorCodes.RATE_LIMITED,
          `client ${client} is over its rate limit; retry in ${waitMs} ms`,
        ),
        retryAfterMs: waitMs,
      }
    }
    this.#requests.inc({ client, outcome: 'allowed' })
    return { ok: true, client }
  }

  /** Who a token is: an API key, or a JWT when a JWKS is configured; undefined for an unknown key. */
  async #identify(
    token: string,
  ): Promise<{ client: string; bucket: string; scopes: ReadonlySet<Scope> } | SummaError | undefined> {
    if (this.#jwt !== undefined && looksLikeJwt(token)) {
      try {
        const verified = await this.#jwt.verify(token)
        return { client: jwtClient, bucket: `jwt:${verified.subject}`, scopes: verified.scopes }
      } catch (error) {
        return SummaError.from(error)
      }
    }
    const entry = findApiKey(this.#keys ?? [], token)
    return entry === undefined ? undefined : { client: entry.id, bucket: entry.id, scopes: entry.scopes }
  }
}

/** The key in an authorization header, or undefined when there is none in a form summa takes. */
export function presentedKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined
  const match = /^\s*(bearer|basic)\s+(\S+)\s*$/i.exec(authorization)
  if (match === null) return undefined
  if (match[1]!.toLowerCase() === 'bearer') return match[2]
  // Basic, for browsers (the console's event stream cannot send a Bearer header): the password is the key.
  const decoded = Buffer.from(match[2]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? undefined : decoded.slice(colon + 1) || undefined
}

/** Says once at start-up how calls are authenticated; never names a key, only ids. */
export function logAccessMode(log: Logger, mode: AccessMode, rateLimit: RateLimit): void {
  const limit =
    rateLimit.perSecond > 0 ? { rateLimitPerSecond: rateLimit.perSecond, burst: rateLimit.burst } : {}
  if (mode.kind === 'credentials')
    log.info(
      {
        keyIds: mode.keys.map((key) => key.id),
        ...(mode.jwt === undefined ? {} : { jwtIssuer: mode.jwt.issuer, jwtAudience: mode.jwt.audience }),
        ...limit,
      },
      mode.jwt === undefined
        ? 'authentication on: API keys required'
        : 'authentication on: API keys or JWTs required',
    )
  else if (mode.why === 'gateway')
    log.warn(
      { ...limit },
      'authentication off (SUMMA_AUTH=off-behind-gateway): every API is open to whoever reaches its port',
    )
  else
    log.info(
      { host: mode.host, ...limit },
      'authentication off: bound to loopback with no API keys (SUMMA_API_KEYS), so every API is open to local processes',
    )
}
