import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { Registry } from 'prom-client'
import { AccessGuard, presentedKey } from './access-guard.ts'
import { createApiKey, parseApiKeyEntries } from './api-keys.ts'
import { accessModeOf } from './protected-mode.ts'

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
    const guard = await AccessGuard.create({
      mode: { kind: 'credentials', keys: parseApiKeyEntries(adder.entry, 'test'), jwt: undefined },
      rateLimit: { perSecond: 1, burst: 1 },
      registry,
    })
    const codeOf = async (header: string | undefined, scope: 'add' | 'read') => {
      const decision = await guard.check(header, scope)
      return decision.ok ? decision.client : decision.error.code
    }
    assert.equal(await codeOf(undefined, 'add'), 'UNAUTHENTICATED')
    assert.equal(await codeOf('Bearer summa_wrong', 'add'), 'UNAUTHENTICATED')
    assert.equal(await codeOf(`Bearer ${adder.key}`, 'read'), 'PERMISSION_DENIED')
    assert.equal(await codeOf(`Bearer ${adder.key}`, 'add'), 'adder')
    const limited = await guard.check(`Bearer ${adder.key}`, 'add')
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

  it('takes JWTs signed by a key of a JWKS file, per subject, and refuses a JWKS without issuer and audience', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] })
    const settings = {
      SUMMA_HOST: '0.0.0.0',
      SUMMA_AUTH: 'auto' as const,
      SUMMA_API_KEYS: undefined,
      SUMMA_API_KEYS_FILE: undefined,
      SUMMA_JWKS_URL: undefined,
      SUMMA_JWKS_FILE: '/jwks.json',
    }
    assert.throws(
      () =>
        accessModeOf(
          { ...settings, SUMMA_JWT_ISSUER: 'https://idp', SUMMA_JWT_AUDIENCE: undefined },
          () => jwks,
        ),
      /needs SUMMA_JWT_ISSUER and SUMMA_JWT_AUDIENCE/,
    )
    const mode = accessModeOf(
      { ...settings, SUMMA_JWT_ISSUER: 'https://idp', SUMMA_JWT_AUDIENCE: 'summa' },
      () => jwks,
    )
    const guard = await AccessGuard.create({
      mode,
      rateLimit: { perSecond: 1, burst: 1 },
      registry: new Registry(),
    })
    const token = (subject: string, scope: string) =>
      new SignJWT({ scope })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject(subject)
        .setIssuer('https://idp')
        .setAudience('summa')
        .setExpirationTime('1m')
        .sign(privateKey)
    const decide = async (jwt: string, scope: 'add' | 'read') => {
      const decision = await guard.check(`Bearer ${jwt}`, scope)
      return decision.ok ? decision.client : decision.error.code
    }
    assert.equal(await decide(await token('a', 'add'), 'add'), 'jwt')
    assert.equal(await decide(await token('a', 'add'), 'read'), 'PERMISSION_DENIED')
    assert.equal(await decide(await token('a', 'add'), 'add'), 'RATE_LIMITED', "a's bucket is empty")
    assert.equal(await decide(await token('b', 'add read'), 'add'), 'jwt', 'b has its own')
    assert.equal(await decide('not.a.token', 'add'), 'UNAUTHENTICATED')
  })
})
