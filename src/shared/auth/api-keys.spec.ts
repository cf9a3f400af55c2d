import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCodes, SummaError } from '../errors.ts'
import { createApiKey, findApiKey, hashApiKey, parseApiKeyEntries } from './api-keys.ts'
import { accessModeOf, isLoopback } from './protected-mode.ts'

describe('API keys', () => {
  it('creates a random key whose entry finds it, and only it', () => {
    const first = createApiKey('loader', ['add', 'read'])
    const second = createApiKey('reader', ['read'])
    assert.match(first.key, /^summa_[\w-]{43}$/)
    assert.equal(first.entry, `loader:add+read:${hashApiKey(first.key)}`)
    assert.ok(!first.entry.includes(first.key))
    const entries = parseApiKeyEntries(`${first.entry}\n# rotated in\n${second.entry}`, 'test')
    assert.equal(findApiKey(entries, first.key)?.id, 'loader')
    assert.deepEqual([...(findApiKey(entries, second.key)?.scopes ?? [])], ['read'])
    assert.equal(findApiKey(entries, `${first.key}x`), undefined)
    assert.equal(findApiKey(entries, hashApiKey(first.key)), undefined, 'the hash is not a key')
  })

  it('refuses malformed entries without repeating them', () => {
    const key = createApiKey('a', ['add']).key
    for (const text of [
      key,
      `a:add:${key}`,
      `a:write:${'0'.repeat(64)}`,
      `a:add:${'0'.repeat(64)},a:read:${'1'.repeat(64)}`,
      `jwt:add:${'0'.repeat(64)}`,
    ]) {
      assert.throws(
        () => parseApiKeyEntries(text, 'SUMMA_API_KEYS'),
        (error: unknown) =>
          error instanceof SummaError &&
          error.code === ErrorCodes.INVALID_CONFIG &&
          !error.message.includes(key),
      )
    }
  })
})

describe('protected mode', () => {
  const none = { SUMMA_AUTH: 'auto' as const, SUMMA_API_KEYS: undefined, SUMMA_API_KEYS_FILE: undefined }

  it('runs open on loopback only, or behind a gateway when told so', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost'])
      assert.ok(isLoopback(host), host)
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'summa.example', '::ffff:10.0.0.1'])
      assert.ok(!isLoopback(host), host)
    assert.equal(accessModeOf({ ...none, SUMMA_HOST: '127.0.0.1' }).kind, 'open')
    assert.throws(
      () => accessModeOf({ ...none, SUMMA_HOST: '0.0.0.0' }),
      /SUMMA_API_KEYS.*SUMMA_AUTH=off-behind-gateway/,
    )
    assert.deepEqual(accessModeOf({ ...none, SUMMA_HOST: '0.0.0.0', SUMMA_AUTH: 'off-behind-gateway' }), {
      kind: 'open',
      why: 'gateway',
    })
  })

  it('requires keys once any are configured, from the variable and the file together', () => {
    const a = createApiKey('a', ['add'])
    const b = createApiKey('b', ['read'])
    const mode = accessModeOf(
      { ...none, SUMMA_HOST: '0.0.0.0', SUMMA_API_KEYS: a.entry, SUMMA_API_KEYS_FILE: '/keys' },
      () => `${b.entry}\n`,
    )
    assert.equal(mode.kind, 'credentials')
    assert.deepEqual(mode.kind === 'credentials' ? mode.keys.map((key) => key.id) : [], ['a', 'b'])
    assert.throws(
      () =>
        accessModeOf({
          ...none,
          SUMMA_HOST: '127.0.0.1',
          SUMMA_API_KEYS: a.entry,
          SUMMA_AUTH: 'off-behind-gateway',
        }),
      /set one or the other/,
    )
    assert.throws(
      () =>
        accessModeOf(
          { ...none, SUMMA_HOST: '127.0.0.1', SUMMA_API_KEYS: a.entry, SUMMA_API_KEYS_FILE: '/keys' },
          () => a.entry,
        ),
      /configured twice/,
    )
  })
})
