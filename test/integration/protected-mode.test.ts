import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { createApiKey } from '../../src/shared/auth/api-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import { rejectsWithStatus } from '../helpers/grpc.ts'
import { assertStoppedBy, killGroup, spawnSumma } from '../helpers/processes.ts'
import { calculatorClient, createTestSystem, processEnv } from '../helpers/system.ts'

const protectedModeMessage =
  /protected mode: SUMMA_HOST=0\.0\.0\.0 is not a loopback address and no API keys are configured.*SUMMA_API_KEYS or SUMMA_API_KEYS_FILE.*SUMMA_AUTH=off-behind-gateway/

describe('protected mode', () => {
  it('a service bound to a non-loopback address without API keys exits non-zero before binding, naming the settings', async (t) => {
    for (const service of ['calculator', 'aggregator']) {
      // Nothing answers at this database or broker: the refusal comes before either is tried.
      const child = spawnSumma(t, [service], {
        SUMMA_HOST: '0.0.0.0',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1',
        SUMMA_API_KEYS: '',
        SUMMA_API_KEYS_FILE: '',
        SUMMA_AUTH: '',
      })
      const { code } = await child.exited
      assert.equal(code, 1, child.output())
      assert.match(child.output(), protectedModeMessage)
      assert.doesNotMatch(child.output(), /listening|running|Server listening/)
    }
  })

  it('starts open with SUMMA_AUTH=off-behind-gateway on any address, and open on loopback, saying so', async (t) => {
    const system = await createTestSystem(t)
    for (const [host, extra, said] of [
      [
        '0.0.0.0',
        { SUMMA_AUTH: 'off-behind-gateway' },
        /authentication off \(SUMMA_AUTH=off-behind-gateway\)/,
      ],
      ['127.0.0.1', {}, /authentication off: bound to loopback with no API keys/],
    ] as const) {
      const env = await processEnv(system, { SUMMA_HOST: host, ...extra })
      const child = spawnSumma(t, ['calculator'], env)
      await eventually(() => assert.match(child.output(), /calculator listening/), 30_000)
      assert.match(child.output(), said)
      const client = calculatorClient(t, Number(env.SUMMA_GRPC_PORT))
      const answer = await client.add({ requestId: randomUUID(), num1: '20', num2: '22' })
      assert.equal(answer.sum, '42')
      client.close()
      killGroup(child.child, 'SIGTERM')
      await assertStoppedBy(child, 'SIGTERM')
    }
  })

  it('with keys from SUMMA_API_KEYS_FILE, it binds any address; no key, right or wrong, appears in its log', async (t) => {
    const system = await createTestSystem(t)
    const key = createApiKey('distinctive', ['add'])
    const stranger = `summa_${'Zq7'.repeat(14)}x`
    const keysFile = path.join(system.dataDir, 'api-keys')
    await writeFile(keysFile, `# the calculator's clients\n${key.entry}\n`)
    const env = await processEnv(system, {
      SUMMA_HOST: '0.0.0.0',
      SUMMA_API_KEYS_FILE: keysFile,
      SUMMA_LOG_LEVEL: 'trace',
    })
    const child = spawnSumma(t, ['calculator'], env)
    await eventually(() => assert.match(child.output(), /calculator listening/), 30_000)
    assert.match(child.output(), /"keyIds":\["distinctive"\],"msg":"authentication on: API keys required"/)
    const client = calculatorClient(t, Number(env.SUMMA_GRPC_PORT))
    const call = (authorization: string) => {
      const metadata = new grpc.Metadata()
      metadata.set('authorization', authorization)
      return client.add({ requestId: randomUUID(), num1: '1', num2: '1', metadata })
    }
    assert.equal((await call(`Bearer ${key.key}`)).sum, '2')
    await rejectsWithStatus(call(`Bearer ${stranger}`), grpc.status.UNAUTHENTICATED)
    await rejectsWithStatus(call(stranger), grpc.status.UNAUTHENTICATED)
    // An invalid request with a valid key reaches Add's own debug logging.
    const metadata = new grpc.Metadata()
    metadata.set('authorization', `Bearer ${key.key}`)
    await rejectsWithStatus(
      client.add({ requestId: 'not-a-uuid', num1: '1', num2: '1', metadata }),
      grpc.status.INVALID_ARGUMENT,
    )
    client.close()
    killGroup(child.child, 'SIGTERM')
    await assertStoppedBy(child, 'SIGTERM')
    const log = child.output()
    assert.match(log, /Add rejected/, 'the log ran at a level that shows rejections')
    for (const secret of [key.key, stranger]) assert.ok(!log.includes(secret), 'a key in the log')
  })
})
