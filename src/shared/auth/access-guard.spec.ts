import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { AccessGuard, presentedKey } from './access-guard.ts'
import { createApiKey, parseApiKeyEntries } from './api-keys.ts'

describe('AccessGuard', () => {
  it('reads the key from Bearer, and from Basic as the password', () => {
    assert.equal(presentedKey('Bearer abc'), 'abc')
    assert.equal(presentedKey('bearer  abc '), 'abc')
    assert.equal(presentedKey(`Basic ${Buffer.from('console:abc').toString('base64')}`), 'abc')
    assert.equal(presentedKey(`Basic ${Buffer.from('abc').toString('base64')}`), undefined)
    assert.equal(presentedKey('abc'), undefined)
    assert.equal(presentedKey(undefined), undefined)
  })

  it('answers by key, scope and rate, and counts each client under its key id', async () => {
    const adder = createApiKey('adder', ['add'])
    const registry = new Registry()
    const guard = new AccessGuard({
      mode: { kind: 'keys', keys: parseApiKeyEntries(adder.entry, 'test') },
      rateLimit: { perSecond: 1, burst: 1 },
      registry,
    })
    const codeOf = (header: string | undefined, scope: 'add' | 'read') => {
      const decision = guard.check(header, scope)
      return decision.ok ? decision.client : decision.error.code
    }
    assert.equal(codeOf(undefined, 'add'), 'UNAUTHENTICATED')
    assert.equal(codeOf('Bearer summa_wrong', 'add'), 'UNAUTHENTICATED')
    assert.equal(codeOf(`Bearer ${adder.key}`, 'read'), 'PERMISSION_DENIED')
    assert.equal(codeOf(`Bearer ${adder.key}`, 'add'), 'adder')
    const limited = guard.check(`Bearer ${adder.key}`, 'add')
    assert.ok(!limited.ok && limited.error.code === 'RATE_LIMITED' && (limited.retryAfterMs ?? 0) > 0)
    const text = await registry.metrics()
    for (const line of [
      'summa_client_requests_total{client="unknown",outcome="unauthenticated"} 2',
      'summa_client_requests_total{client="adder",outcome="forbidden"} 1',
      'summa_client_requests_total{client="adder",outcome="allowed"} 1',
      'summa_client_requests_total{client="adder",outcome="rate_limited"} 1',
    ])
      assert.ok(text.includes(line), line)
    assert.ok(!text.includes(adder.key))
  })
})
