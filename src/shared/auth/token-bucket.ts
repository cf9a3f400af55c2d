/**
 * Token buckets, one per client: each holds up to `burst` tokens and gains
 * `perSecond` a second; a request takes one. A client over its rate is told
 * how long until its next token, which is the retry hint of the answer.
 * Buckets are kept per client id, and client ids are the configured key ids
 * plus "anonymous", so the map cannot grow with hostile input.
 */
export class TokenBuckets {
  readonly #perMs: number
  readonly #burst: number
  readonly #now: () => number
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(options: { perSecond: number; burst: number; now?: () => number }) {
    this.#perMs = options.perSecond / 1000
    this.#burst = options.burst
    this.#now = options.now ?? (() => performance.now())
  }

  /** Takes a token for `client`: 0 when there was one, else the milliseconds until there is. */
  take(client: string): number {
    const now = this.#now()
    let bucket = this.#buckets.get(client)
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now }
      this.#buckets.set(client, bucket)
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs)
    bucket.at = now
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.ceil((1 - bucket.tokens) / this.#perMs)
  }
}
