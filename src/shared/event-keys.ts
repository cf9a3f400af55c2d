import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Config } from './config.ts'
import { ErrorCodes, SummaError } from './errors.ts'
import {
  type EventKey,
  EventVerifier,
  minimumKeyBytes,
  parseEventKey,
  parseEventKeys,
} from './event-signature.ts'

/**
 * Where the event keys come from, in order:
 * 1. `SUMMA_EVENT_SIGNING_KEY` (the calculator's) and `SUMMA_EVENT_VERIFY_KEYS`
 *    (the aggregator's; the signing key, when set, is also one of them);
 * 2. when neither is set, `event-keys.json` in `SUMMA_DATA_DIR`, which
 *    `summa up` writes on its first run so that `make up` needs no setting.
 * With none of them the calculator and the aggregator refuse to start: running
 * without keys would mean applying whatever anyone writes to the topic.
 */
export const eventKeysFile = 'event-keys.json'

export interface EventKeys {
  signing: EventKey | undefined
  verify: EventKey[]
  /** Where they were read from, for the start-up log (never the keys themselves). */
  source: 'environment' | 'data directory' | 'none'
}

type KeyConfig = Pick<Config, 'SUMMA_EVENT_SIGNING_KEY' | 'SUMMA_EVENT_VERIFY_KEYS' | 'SUMMA_DATA_DIR'>

interface KeysFile {
  signingKey: string
  verifyKeys?: string[]
}

export async function loadEventKeys(config: KeyConfig): Promise<EventKeys> {
  const signingText = config.SUMMA_EVENT_SIGNING_KEY
  const verifyText = config.SUMMA_EVENT_VERIFY_KEYS
  if (signingText !== undefined || verifyText !== undefined) {
    const signing =
      signingText === undefined ? undefined : parseEventKey(signingText, 'SUMMA_EVENT_SIGNING_KEY')
    const verify = parseEventKeys(verifyText ?? '', 'SUMMA_EVENT_VERIFY_KEYS')
    return { signing, verify: withSigningKey(verify, signing), source: 'environment' }
  }
  const file = path.join(config.SUMMA_DATA_DIR, eventKeysFile)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { signing: undefined, verify: [], source: 'none' }
    throw error
  }
  let parsed: KeysFile
  try {
    parsed = JSON.parse(text) as KeysFile
  } catch {
    throw new SummaError(ErrorCodes.INVALID_CONFIG, `${file} is not JSON`)
  }
  const signing = parseEventKey(String(parsed.signingKey ?? ''), `${file} signingKey`)
  const verify = parseEventKeys((parsed.verifyKeys ?? []).join(','), `${file} verifyKeys`)
  return { signing, verify: withSigningKey(verify, signing), source: 'data directory' }
}

/** The signing key verifies too; the same id with another secret is a mistake worth stopping for. */
function withSigningKey(verify: EventKey[], signing: EventKey | undefined): EventKey[] {
  if (signing === undefined) return verify
  const same = verify.find((key) => key.id === signing.id)
  if (same === undefined) return [signing, ...verify]
  if (!same.secret.equals(signing.secret)) {
    throw new SummaError(
      ErrorCodes.INVALID_CONFIG,
      `key id ${signing.id} has one secret in SUMMA_EVENT_SIGNING_KEY and another in SUMMA_EVENT_VERIFY_KEYS`,
    )
  }
  return verify
}

const howToConfigure =
  'set SUMMA_EVENT_SIGNING_KEY=<key id>:<base64 of 32 random bytes> (e.g. k1:$(openssl rand -base64 32)) ' +
  'for the calculator and the same key, or a list of them, in SUMMA_EVENT_VERIFY_KEYS for the aggregator ' +
  '(docs/SECURITY.md, "Authentic events"); `summa up` generates one on its first run'

export function requireSigningKey(keys: EventKeys): EventKey {
  if (keys.signing !== undefined) return keys.signing
  throw new SummaError(
    ErrorCodes.INVALID_CONFIG,
    `the calculator signs every event and has no key: ${howToConfigure}`,
  )
}

export function requireVerifier(keys: EventKeys): EventVerifier {
  if (keys.verify.length > 0) return new EventVerifier(keys.verify)
  throw new SummaError(
    ErrorCodes.INVALID_CONFIG,
    `the aggregator applies only signed events and has no key to verify them with: ${howToConfigure}`,
  )
}

/** A fresh `kid:base64` key; the id says when it was made, which helps when rotating. */
export function generateEventKey(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '')
  return `k${day}-${randomBytes(3).toString('hex')}:${randomBytes(minimumKeyBytes).toString('base64')}`
}

/**
 * `summa up`'s zero-config keys: written once to the data directory (owner
 * read/write only) and reused by every later run, so events signed before a
 * restart still verify after it. Does nothing when the environment names keys.
 */
export async function ensureEventKeysFile(config: KeyConfig): Promise<'environment' | 'created' | 'kept'> {
  if (config.SUMMA_EVENT_SIGNING_KEY !== undefined || config.SUMMA_EVENT_VERIFY_KEYS !== undefined) {
    return 'environment'
  }
  const file = path.join(config.SUMMA_DATA_DIR, eventKeysFile)
  const content: KeysFile = { signingKey: generateEventKey(), verifyKeys: [] }
  try {
    await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { flag: 'wx', mode: 0o600 })
    return 'created'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'kept'
    throw error
  }
}
