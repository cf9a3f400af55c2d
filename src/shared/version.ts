import { readFileSync } from 'node:fs'

/**
 * The version in summa's own package.json, read when asked rather than copied
 * into the code, so it cannot drift from what npm installed. src/shared/ and
 * dist/shared/ both sit two levels below package.json, in a clone and in an
 * installed tarball (node_modules/summa/dist/shared/) alike.
 */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { version: string }).version
}
