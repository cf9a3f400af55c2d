import { findApiKey } from '../shared/auth/api-keys.ts'
import { configuredApiKeys } from '../shared/auth/protected-mode.ts'
import type { Config } from '../shared/config.ts'
import { ErrorCodes, SummaError } from '../shared/errors.ts'

/**
 * Takes `--api-key KEY` (or `--api-key=KEY`) out of a command's arguments: the
 * key every command sends, else SUMMA_API_KEY. Taken out before a command
 * parses the rest, so `summa add -5 3 --api-key K` still reads -5 as a number.
 */
export function takeApiKey(
  args: readonly string[],
  config: Pick<Config, 'SUMMA_API_KEY'>,
): { apiKey: string | undefined; args: string[] } {
  const rest: string[] = []
  let apiKey = config.SUMMA_API_KEY
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--api-key') apiKey = args[++i]
    else if (arg.startsWith('--api-key=')) apiKey = arg.slice('--api-key='.length)
    else rest.push(arg)
  }
  return { apiKey: apiKey === '' ? undefined : apiKey, args: rest }
}

/**
 * The `admin` scope of commands that write to PostgreSQL or Kafka directly
 * (`summa reset`, `summa dlq redrive`). They talk to no summa server, so the
 * key is checked here against the same configuration the servers read: with
 * keys configured, the command needs one with the admin scope. This keeps an
 * operator's shell that holds only an add or read key from wiping the total;
 * it cannot stop whoever holds the database or broker credentials, which
 * these commands use (docs/SECURITY.md).
 */
export function requireAdminKey(
  config: Pick<Config, 'SUMMA_API_KEYS' | 'SUMMA_API_KEYS_FILE'>,
  apiKey: string | undefined,
  command: string,
): void {
  const keys = configuredApiKeys(config)
  if (keys.length === 0) return
  const entry = apiKey === undefined ? undefined : findApiKey(keys, apiKey)
  if (entry === undefined)
    throw new SummaError(
      ErrorCodes.UNAUTHENTICATED,
      `${command} needs an API key with the admin scope: pass --api-key or set SUMMA_API_KEY` +
        (apiKey === undefined ? '' : ' (the key given is not configured)'),
    )
  if (!entry.scopes.has('admin'))
    throw new SummaError(
      ErrorCodes.PERMISSION_DENIED,
      `${command} needs the admin scope; API key ${entry.id} lacks it`,
    )
}
