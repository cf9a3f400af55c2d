import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createApiKey, isScope, type Scope, scopes } from '../shared/auth/api-keys.ts'
import type { Output } from '../shared/command-output.ts'

export const keysUsage = `usage: summa keys create --scopes SCOPE[,SCOPE…] [--id NAME]
  scopes: ${scopes.join(', ')}; NAME (letters, digits, . _ -) is the key's name in metrics and logs`

/**
 * `summa keys create --scopes add,read [--id NAME]`: makes a random key and
 * prints it once, with the entry to configure (SUMMA_API_KEYS, or a line of
 * SUMMA_API_KEYS_FILE). summa stores only the entry, which holds the key's
 * SHA-256: a lost key cannot be recovered, only replaced.
 */
export function keysCommand(args: string[], io: Output): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { scopes: { type: 'string' }, id: { type: 'string' } },
  })
  if (positionals[0] !== 'create' || values.scopes === undefined) {
    io.err(keysUsage)
    return 2
  }
  const named = values.scopes.split(/[,+]/).filter((scope) => scope !== '')
  const bad = named.find((scope) => !isScope(scope))
  if (named.length === 0 || bad !== undefined) {
    io.err(`summa keys create: unknown scope ${JSON.stringify(bad ?? '')}\n${keysUsage}`)
    return 2
  }
  const id = values.id ?? `key-${randomBytes(4).toString('hex')}`
  const { key, entry } = createApiKey(id, named as Scope[])
  io.out(`key:   ${key}`)
  io.out(`entry: ${entry}`)
  io.err(
    'The key is shown only now: give it to the client (--api-key or SUMMA_API_KEY). ' +
      'Add the entry to SUMMA_API_KEYS (comma-separated) or as a line of SUMMA_API_KEYS_FILE, then restart.',
  )
  return 0
}
