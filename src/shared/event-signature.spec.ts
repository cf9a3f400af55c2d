import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCodes, SummaError } from './errors.ts'
import { EventVerifier, parseEventKey, parseEventKeys, signEvent } from './event-signature.ts'
import type { SumEvent } from './sum-event.ts'

const event: SumEvent = {
  v: 1,
  eventId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
  requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  num1: '9223372036854775806',
  num2: '1',
  sum: '9223372036854775807',
  acceptedAt: '2026-11-22T10:00:00.000Z',
}
const secret = (fill: number) => Buffer.alloc(32, fill).toString('base64')
const oldKey = parseEventKey(`old:${secret(1)}`, 'test')
const newKey = parseEventKey(`new:${secret(2)}`, 'test')

function configError(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof SummaError)
    assert.equal(error.code, ErrorCodes.INVALID_CONFIG)
    return error.message
  }
  assert.fail('expected INVALID_CONFIG')
}

describe('event signatures', () => {
  it('verifies what was signed, under any key the verifier holds', () => {
    const verifier = new EventVerifier([newKey, oldKey])
    assert.equal(verifier.verify(event, signEvent(oldKey, event)), null)
    assert.equal(verifier.verify(event, signEvent(newKey, event)), null)
    assert.match(signEvent(newKey, event), /^v1;kid=new;[A-Za-z0-9_-]{43}$/)
  })

  it('refuses an unsigned event, an unknown key id, a malformed header and any changed field', () => {
    const verifier = new EventVerifier([newKey])
    assert.equal(verifier.verify(event, undefined), 'unsigned event: no summa-signature header')
    assert.equal(verifier.verify(event, signEvent(oldKey, event)), 'summa-signature: unknown key id old')
    assert.equal(verifier.verify(event, 'v1;kid=new;short'), 'summa-signature header is malformed')
    const signature = signEvent(newKey, event)
    for (const field of ['eventId', 'requestId', 'num1', 'num2', 'sum', 'acceptedAt'] as const) {
      const changed = {
        ...event,
        [field]: field === 'eventId' ? '7d444840-9dc0-11d1-b245-5ffdce74fad3' : '0',
      }
      assert.match(
        verifier.verify(changed, signature) ?? '',
        /does not match the event \(key id new\)/,
        field,
      )
    }
    // A MAC made under one key id cannot be relabelled as another's with the same secret.
    const relabelled = parseEventKey(`other:${secret(2)}`, 'test')
    const both = new EventVerifier([newKey, relabelled])
    assert.notEqual(both.verify(event, signature.replace('kid=new', 'kid=other')), null)
  })

  it('parses keys strictly and never puts the secret in a message', () => {
    const weak = Buffer.alloc(16, 9).toString('base64')
    const message = configError(() => parseEventKey(`k1:${weak}`, 'SUMMA_EVENT_SIGNING_KEY'))
    assert.match(message, /SUMMA_EVENT_SIGNING_KEY: key k1: 16 bytes; at least 32/)
    assert.ok(!message.includes(weak))
    configError(() => parseEventKey(secret(3), 'SUMMA_EVENT_SIGNING_KEY'))
    configError(() => parseEventKey(`k 1:${secret(3)}`, 'SUMMA_EVENT_SIGNING_KEY'))
    assert.match(
      configError(() => parseEventKeys(`a:${secret(1)},a:${secret(2)}`, 'SUMMA_EVENT_VERIFY_KEYS')),
      /key id a appears twice/,
    )
    assert.deepEqual(
      parseEventKeys(` a:${secret(1)} , b:${Buffer.alloc(32, 5).toString('base64url')} `, 'x').map(
        (k) => k.id,
      ),
      ['a', 'b'],
    )
    configError(() => new EventVerifier([]))
  })
})
