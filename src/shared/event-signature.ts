import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto'
import { ErrorCodes, SummaError } from './errors.ts'
import { eventHeaders, type SumEvent } from './sum-event.ts'

/**
 * Authentic events: the calculator signs each event when it writes it to the
 * outbox, the aggregator applies only events whose signature verifies. Anyone
 * who can produce to the topic (or insert into the outbox) can still write a
 * well-formed event, but without a key they cannot make it count.
 *
 * The MAC is HMAC-SHA256 over the event's canonical fields, one per line, as
 * they appear in the record value (every one is validated to hold no newline
 * before it is verified, so the encoding is unambiguous), prefixed by a
 * version tag and the key id, so a MAC made under one key id or scheme can
 * never be passed off as another's. The header carries the key id, which is
 * what lets keys rotate: the aggregator holds several verification keys, the
 * calculator signs with one.
 *
 *   summa-signature: v1;kid=<key id>;<base64url of the 32-byte MAC>
 */
export const signatureHeader = eventHeaders.signature

/** A named HMAC key, as configured: `<key id>:<base64 of at least 32 bytes>`. */
export interface EventKey {
  id: string
  /**
   * A KeyObject, not a Buffer: imported once (createHmac with a Buffer imports
   * the key on every call, measured at about twice the cost per event), and it
   * prints as `SecretKeyObject { type: 'secret', symmetricKeySize: 32 }`, so a
   * key that ends up in a log line shows nothing of itself.
   */
  secret: KeyObject
}

const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/
/** 256 bits: HMAC-SHA256's own block of security; shorter keys are refused. */
export const minimumKeyBytes = 32
const headerPattern = /^v1;kid=([A-Za-z0-9._-]{1,64});([A-Za-z0-9_-]{43})$/

/** Parses `kid:base64`. The message never contains the secret, only where it went wrong. */
export function parseEventKey(text: string, setting: string): EventKey {
  const colon = text.indexOf(':')
  const id = colon < 0 ? '' : text.slice(0, colon)
  const encoded = colon < 0 ? '' : text.slice(colon + 1).trim()
  if (!keyIdPattern.test(id)) {
    throw invalid(setting, 'must be <key id>:<base64 key>, the key id of letters, digits, ".", "_" or "-"')
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw invalid(setting, `key ${id}: the key is not base64`)
  const secret = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  if (secret.length < minimumKeyBytes) {
    throw invalid(setting, `key ${id}: ${secret.length} bytes; at least ${minimumKeyBytes} are required`)
  }
  return { id, secret: createSecretKey(secret) }
}

/** A comma-separated list of `kid:base64`; a key id twice is refused (which one would verify?). */
export function parseEventKeys(text: string, setting: string): EventKey[] {
  const keys = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => parseEventKey(item, setting))
  const seen = new Set<string>()
  for (const key of keys) {
    if (seen.has(key.id)) throw invalid(setting, `key id ${key.id} appears twice`)
    seen.add(key.id)
  }
  return keys
}

function invalid(setting: string, problem: string): SummaError {
  return new SummaError(ErrorCodes.INVALID_CONFIG, `${setting}: ${problem}`, { field: setting })
}

function canonical(keyId: string, event: SumEvent): string {
  return [
    'summa-event-v1',
    keyId,
    event.eventId,
    event.requestId,
    event.num1,
    event.num2,
    event.sum,
    event.acceptedAt,
  ].join('\n')
}

function mac(key: EventKey, event: SumEvent): Buffer {
  return createHmac('sha256', key.secret).update(canonical(key.id, event)).digest()
}

/** The `summa-signature` header value for `event` under `key`. */
export function signEvent(key: EventKey, event: SumEvent): string {
  return `v1;kid=${key.id};${mac(key, event).toString('base64url')}`
}

/**
 * Checks signatures against a set of keys. `verify` returns null when the
 * header is a valid signature of the event under a known key, else the reason
 * the event is dead-lettered (which names the key id, never a key).
 */
export class EventVerifier {
  readonly #keys: ReadonlyMap<string, EventKey>

  constructor(keys: EventKey[]) {
    if (keys.length === 0) throw new SummaError(ErrorCodes.INVALID_CONFIG, 'no event verification key')
    this.#keys = new Map(keys.map((key) => [key.id, key]))
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()]
  }

  verify(event: SumEvent, header: string | undefined): string | null {
    if (header === undefined) return `unsigned event: no ${signatureHeader} header`
    const match = headerPattern.exec(header)
    if (match === null) return `${signatureHeader} header is malformed`
    const [, keyId, encoded] = match
    const key = this.#keys.get(keyId!)
    if (key === undefined) return `${signatureHeader}: unknown key id ${keyId}`
    const given = Buffer.from(encoded!, 'base64url')
    const expected = mac(key, event)
    // Constant time: how much of a guessed MAC matched must not show in the timing.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return `${signatureHeader} does not match the event (key id ${keyId})`
    }
    return null
  }
}
