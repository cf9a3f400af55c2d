/**
 * Token buckets, one per client: each holds up to `burst` tokens and gains
 * `perSecond` a second; a request takes one. A client over its rate is told
 * how long until its next token, which is the retry hint of the answer.
 * Buckets are kept per client: a configured key id, "anonymous", or a JWT's
 * subject. Subjects come from the token issuer, not from summa's settings, so
 * the map is capped: past `maxClients`, the bucket used longest ago goes (a
 * client whose bucket went starts again with a full one).
 */
export class TokenBuckets {
  readonly #perMs: number
  readonly #burst: number
  readonly #now: () => number
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  readonly #maxClients: number

  constructor(options: { perSecond: number; burst: number; maxClients?: number; now?: () => number }) {
    this.#perMs = options.perSecond / 1000
    this.#burst = options.burst
    this.#maxClients = options.maxClients ?? 10_000
    this.#now = options.now ?? (() => performance.now())
  }

  /** Takes a token for `client`: 0 when there was one, else the milliseconds until there is. */
  take(client: string): number {
    const now = this.#now()
    let bucket = this.#buckets.get(client)
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now }
      if (this.#buckets.size >= this.#maxClients) this.#buckets.delete(this.#buckets.keys().next().value!)
    } else this.#buckets.delete(client)
    // Re-inserted on every use: the map's first key is the bucket used longest ago.
    this.#buckets.set(client, bucket)
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs)
    bucket.at = now
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.ceil((1 - bucket.tokens) / this.#perMs)
  }
}
