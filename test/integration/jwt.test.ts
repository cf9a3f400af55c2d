import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createApiKey } from '../../src/shared/auth/api-keys.ts'
import { bearer, get, metadataOf, requestCount } from '../helpers/auth.ts'
import { rejectsWithStatus } from '../helpers/grpc.ts'
import {
  calculatorClient,
  createTestSystem,
  startTestAggregator,
  startTestCalculator,
} from '../helpers/system.ts'

const adder = createApiKey('adder', ['add'])

describe('JWTs', () => {
  it("JWTs: verified against the issuer's JWKS, with issuer, audience, expiry and scopes; API keys still work beside them", async (t) => {
    const issuerKeys = await generateKeyPair('ES256')
    const otherKeys = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(issuerKeys.publicKey)), kid: 'issuer-1', alg: 'ES256', use: 'sig' }
    let fetches = 0
    const jwksServer = http.createServer((_request, response) => {
      fetches++
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
    })
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise((resolve) => jwksServer.close(resolve)))
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`
    const system = await createTestSystem(t, {
      SUMMA_API_KEYS: adder.entry,
      SUMMA_JWKS_URL: jwksUrl,
      SUMMA_JWT_ISSUER: 'https://issuer.example',
      SUMMA_JWT_AUDIENCE: 'summa',
    })
    const calculator = await startTestCalculator(t, system.config)
    const aggregator = await startTestAggregator(t, system.config)
    const token = (
      claims: Record<string, unknown>,
      options: {
        key?: Parameters<SignJWT['sign']>[0]
        issuer?: string
        audience?: string
        expires?: string | number
      } = {},
    ) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'issuer-1' })
        .setSubject('service-a')
        .setIssuer(options.issuer ?? 'https://issuer.example')
        .setAudience(options.audience ?? 'summa')
        .setIssuedAt()
        .setExpirationTime(options.expires ?? '5m')
        .sign(options.key ?? issuerKeys.privateKey)
    const client = calculatorClient(t, calculator.running.grpcPort)
    const add = async (authorization: string) =>
      client.add({ requestId: randomUUID(), num1: '3', num2: '4', metadata: metadataOf({ authorization }) })

    assert.equal((await add(`Bearer ${await token({ scope: 'add read' })}`)).sum, '7')
    assert.equal((await add(`Bearer ${await token({ scp: ['add'] })}`)).sum, '7')
    assert.equal((await add(`Bearer ${adder.key}`)).sum, '7', 'API keys beside JWTs')
    const denied = await rejectsWithStatus(
      add(`Bearer ${await token({ scope: 'read' })}`),
      grpc.status.PERMISSION_DENIED,
    )
    assert.match(denied.details, /lacks the add scope/)
    for (const [why, jwt] of [
      ['another key', await token({ scope: 'add' }, { key: otherKeys.privateKey })],
      ['another issuer', await token({ scope: 'add' }, { issuer: 'https://elsewhere.example' })],
      ['another audience', await token({ scope: 'add' }, { audience: 'not-summa' })],
      ['expired', await token({ scope: 'add' }, { expires: Math.floor(Date.now() / 1000) - 120 })],
      [
        'unsigned',
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"scope":"add","iss":"https://issuer.example","aud":"summa","exp":9999999999}').toString('base64url')}.`,
      ],
    ] as const) {
      const refused = await rejectsWithStatus(add(`Bearer ${jwt}`), grpc.status.UNAUTHENTICATED)
      assert.match(refused.details, /the token was refused/, why)
      assert.ok(!refused.details.includes(jwt), why)
    }
    assert.equal(await requestCount(system), 3)
    assert.ok(fetches >= 1, 'the JWKS was fetched')

    const port = aggregator.running.httpPort
    assert.equal((await get(port, '/total', bearer(await token({ scope: 'read' })))).status, 200)
    const forbidden = await get(port, '/total', bearer(await token({ scope: 'add' })))
    assert.equal(forbidden.status, 403)
    assert.match(forbidden.authenticate, /insufficient_scope/)
    assert.equal(
      (await get(port, '/total', bearer(await token({ scope: 'read' }, { key: otherKeys.privateKey }))))
        .status,
      401,
    )
    const metrics = await get(calculator.running.httpPort, '/metrics')
    assert.match(metrics.text, /summa_client_requests_total\{client="jwt",outcome="allowed"[^}]*\} 2/)
  })
})
