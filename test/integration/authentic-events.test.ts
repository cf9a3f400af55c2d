import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import { SummaError } from '../../src/shared/errors.ts'
import { ensureEventKeysFile, eventKeysFile, generateEventKey } from '../../src/shared/event-keys.ts'
import { type EventKey, parseEventKey, signEvent } from '../../src/shared/event-signature.ts'
import { encodeSumEvent, type SumEvent } from '../../src/shared/sum-event.ts'
import { signedHeaders, testSigningKey, testSigningKeyText } from '../helpers/event-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import { produceForeign, type ReadRecord, readTopic, testProducer } from '../helpers/kafka.ts'
import {
  calculatorClient,
  createTestSystem,
  getJson,
  startTestAggregator,
  startTestCalculator,
  startTestPipeline,
  startTestRelay,
} from '../helpers/system.ts'

interface TotalBody {
  total: string
  appliedEvents: string
  deadLetters: string
}

/** A key nobody configured: what an attacker who guesses the format but not the secret has. */
const attackerKey: EventKey = parseEventKey(`test-1:${Buffer.alloc(32, 66).toString('base64')}`, 'attacker')

function forged(num1: bigint, num2: bigint): SumEvent {
  return {
    v: 1,
    eventId: randomUUID(),
    requestId: randomUUID(),
    num1: String(num1),
    num2: String(num2),
    sum: String(num1 + num2),
    acceptedAt: new Date().toISOString(),
  }
}

async function expectTotal(port: number, expected: Partial<TotalBody>): Promise<TotalBody> {
  return eventually(async () => {
    const { body } = await getJson<TotalBody>(port, '/total')
    assert.deepEqual(
      Object.fromEntries(Object.keys(expected).map((key) => [key, body[key as keyof TotalBody]])),
      expected,
    )
    return body
  }, 30_000)
}

const reasons = (letters: ReadRecord[]) => letters.map((letter) => letter.headers['summa-dlq-reason'])

describe('authentic events', () => {
  it('forged events with fresh ids (unsigned, signed with a wrong key, an unknown key id) are dead-lettered; the total does not move', async (t) => {
    const system = await createTestSystem(t)
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const port = aggregator.running.httpPort
    const client = calculatorClient(t, calculator.running.grpcPort)
    await client.add({ requestId: randomUUID(), num1: '5', num2: '7' })
    await expectTotal(port, { total: '12', appliedEvents: '1' })

    // What the attack was: one well-formed JSON event with fresh ids, from a producer of its own.
    const unsigned = forged(1_000_000n, 0n)
    await produceForeign(t, system.topic, [
      { partition: 0, key: unsigned.requestId, value: encodeSumEvent(unsigned) },
    ])
    // The same with a signature header: right format and key id, wrong secret.
    const wrongKey = forged(2_000_000n, 0n)
    await produceForeign(t, system.topic, [
      {
        partition: 1,
        value: encodeSumEvent(wrongKey),
        headers: [['summa-signature', signEvent(attackerKey, wrongKey)]],
      },
    ])
    const unknownKid = forged(3_000_000n, 0n)
    const otherKey = parseEventKey(generateEventKey(), 'x')
    await produceForeign(t, system.topic, [
      {
        partition: 2,
        value: encodeSumEvent(unknownKid),
        headers: [['summa-signature', signEvent(otherKey, unknownKid)]],
      },
    ])
    // Behind them on their partitions, real Adds still arrive.
    await client.add({ requestId: randomUUID(), num1: '1', num2: '1' })
    await expectTotal(port, { total: '14', appliedEvents: '2', deadLetters: '3' })

    const letters = await readTopic(system.deadLetterTopic, 3)
    const byValue = new Map(letters.map((letter) => [letter.value, letter.headers['summa-dlq-reason']]))
    assert.equal(byValue.get(encodeSumEvent(unsigned)), 'unsigned event: no summa-signature header')
    assert.equal(
      byValue.get(encodeSumEvent(wrongKey)),
      'summa-signature does not match the event (key id test-1)',
    )
    assert.equal(byValue.get(encodeSumEvent(unknownKid)), `summa-signature: unknown key id ${otherKey.id}`)
    const [applied] = await system.db.sql<
      { count: number }[]
    >`select count(*)::int as count from applied_events`
    assert.equal(applied?.count, 2)
  })

  it('a real event re-sent under a new event id (re-minted, re-signed with a wrong key, or even with the right one) is dead-lettered; its true re-send is skipped', async (t) => {
    const system = await createTestSystem(t)
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const port = aggregator.running.httpPort
    const client = calculatorClient(t, calculator.running.grpcPort)
    await client.add({ requestId: randomUUID(), num1: '40', num2: '2' })
    await expectTotal(port, { total: '42', appliedEvents: '1' })
    const [real] = await readTopic(system.topic, 1)
    assert.ok(real !== undefined)
    const original = JSON.parse(real.value) as SumEvent
    const signature = real.headers['summa-signature']
    assert.match(signature ?? '', /^v1;kid=test-1;/, 'the relay sent the calculator’s signature')

    const producer = testProducer(t)
    const send = (event: SumEvent, headers: Map<Buffer, Buffer>) =>
      producer.send({
        messages: [
          {
            topic: system.topic,
            partition: real.partition,
            key: Buffer.from(event.requestId),
            value: Buffer.from(encodeSumEvent(event)),
            headers,
          },
        ],
      })
    const header = (value: string) => new Map([[Buffer.from('summa-signature'), Buffer.from(value)]])
    const reminted = { ...original, eventId: randomUUID() }
    await send(reminted, header(signature!)) // the real signature, a new event id
    const resigned = { ...original, eventId: randomUUID() }
    await send(resigned, header(signEvent(attackerKey, resigned)))
    // A signer that has the key (a leaked key, a bug): the ledger still refuses a second event id.
    const withTheKey = { ...original, eventId: randomUUID() }
    await send(withTheKey, signedHeaders(withTheKey))
    // The same event id again: a relay re-send, skipped without a dead letter.
    await send(original, header(signature!))
    await client.add({ requestId: randomUUID(), num1: '0', num2: '1' })
    const body = await expectTotal(port, { total: '43', appliedEvents: '2', deadLetters: '3' })
    assert.equal(body.deadLetters, '3')

    const letters = await readTopic(system.deadLetterTopic, 3)
    assert.deepEqual(reasons(letters).sort(), [
      `conflict: request ${original.requestId} was applied before under event id ${original.eventId}; event id ${withTheKey.eventId} would count it twice`,
      'summa-signature does not match the event (key id test-1)',
      'summa-signature does not match the event (key id test-1)',
    ])
    const [row] = await system.db.sql<{ count: number }[]>`
      select count(*)::int as count from applied_events where request_id = ${original.requestId}`
    assert.equal(row?.count, 1, 'one request, one applied event')
  })

  it('keys rotate: the aggregator verifies the old and the new key id while the calculator switches, then drops the old', async (t) => {
    const oldKeyText = testSigningKeyText
    const newKeyText = generateEventKey()
    const newKey = parseEventKey(newKeyText, 'new')
    const system = await createTestSystem(t)
    // Step 1: aggregators learn the new key first (it verifies, nothing signs with it yet).
    const aggregatorConfig = {
      ...system.config,
      SUMMA_EVENT_SIGNING_KEY: undefined,
      SUMMA_EVENT_VERIFY_KEYS: `${oldKeyText},${newKeyText}`,
    }
    const aggregator = await startTestAggregator(t, aggregatorConfig)
    const port = aggregator.running.httpPort
    await startTestRelay(t, system.config)
    const oldCalculator = await startTestCalculator(t, system.config)
    await calculatorClient(t, oldCalculator.running.grpcPort).add({
      requestId: randomUUID(),
      num1: '1',
      num2: '2',
    })
    await expectTotal(port, { total: '3', appliedEvents: '1' })

    // Step 2: calculators sign with the new key.
    await oldCalculator.stop()
    const newCalculator = await startTestCalculator(t, {
      ...system.config,
      SUMMA_EVENT_SIGNING_KEY: newKeyText,
    })
    const client = calculatorClient(t, newCalculator.running.grpcPort)
    await client.add({ requestId: randomUUID(), num1: '10', num2: '20' })
    await expectTotal(port, { total: '33', appliedEvents: '2' })
    const records = await readTopic(system.topic, 2)
    assert.deepEqual(
      records.map((record) => record.headers['summa-signature']?.split(';')[1]).sort(),
      [`kid=${newKey.id}`, `kid=${testSigningKey.id}`].sort(),
    )

    // Step 3: once everything signed with the old key is applied, it is dropped; an old-key event is now refused.
    await aggregator.stop()
    const rotated = await startTestAggregator(t, { ...aggregatorConfig, SUMMA_EVENT_VERIFY_KEYS: newKeyText })
    const late = forged(500n, 0n)
    await testProducer(t).send({
      messages: [
        { topic: system.topic, value: Buffer.from(encodeSumEvent(late)), headers: signedHeaders(late) },
      ],
    })
    await client.add({ requestId: randomUUID(), num1: '100', num2: '0' })
    await expectTotal(rotated.running.httpPort, { total: '133', appliedEvents: '3', deadLetters: '1' })
    const [letter] = await readTopic(system.deadLetterTopic, 1)
    assert.equal(letter?.headers['summa-dlq-reason'], `summa-signature: unknown key id ${testSigningKey.id}`)
  })

  it('without a key the calculator and the aggregator refuse to start, naming the settings; summa up makes one, owner-only, once', async (t) => {
    const system = await createTestSystem(t, { SUMMA_EVENT_SIGNING_KEY: '' })
    assert.equal(system.config.SUMMA_EVENT_SIGNING_KEY, undefined)
    for (const start of [startTestCalculator, startTestAggregator]) {
      await assert.rejects(start(t, system.config), (error: unknown) => {
        assert.ok(error instanceof SummaError)
        assert.equal(error.code, 'INVALID_CONFIG')
        assert.match(error.message, /SUMMA_EVENT_SIGNING_KEY=<key id>:<base64.*SUMMA_EVENT_VERIFY_KEYS/)
        return true
      })
    }
    assert.equal(await ensureEventKeysFile(system.config), 'created')
    assert.equal(await ensureEventKeysFile(system.config), 'kept')
    const file = await stat(path.join(system.dataDir, eventKeysFile))
    assert.equal(file.mode & 0o777, 0o600)
    // Both services now find the key in the data directory: the pipeline runs with no key setting.
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    await calculatorClient(t, calculator.running.grpcPort).add({
      requestId: randomUUID(),
      num1: '2',
      num2: '2',
    })
    await expectTotal(aggregator.running.httpPort, { total: '4', appliedEvents: '1', deadLetters: '0' })
  })
})
