import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { readTopic, testProducer } from '../helpers/kafka.ts'
import { calculatorClient, createTestSystem, startTestPipeline } from '../helpers/system.ts'

// ajv-formats is CommonJS with a default export; under ESM it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

type Schema = Record<string, unknown> & { $defs: Record<string, Record<string, unknown>> }
const contract = JSON.parse(
  await readFile(new URL('../../docs/schemas/sum-event.v1.json', import.meta.url), 'utf8'),
) as Schema

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
function assertMatches(schema: Record<string, unknown>, value: unknown, what: string): void {
  const validate = ajv.compile(schema)
  assert.ok(validate(value), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`)
}

describe('the published Kafka contract (docs/schemas/sum-event.v1.json)', () => {
  it('describes the records the relay writes and the dead letters the aggregator writes', async (t) => {
    const system = await createTestSystem(t)
    const { calculator } = await startTestPipeline(t, system.config)
    const requestId = '6f1c1e0a-8d2b-4c53-9a57-3c9f3c2b7d10'
    await calculatorClient(t, calculator.running.grpcPort).add({
      requestId,
      num1: '-7',
      num2: '9000000000000',
    })

    const [record] = await readTopic(system.topic, 1)
    assert.ok(record, 'the relay wrote the event')
    assert.equal(record.key, requestId)
    const { $defs, ...valueSchema } = contract
    assertMatches(valueSchema, JSON.parse(record.value), 'the record value')
    assertMatches($defs.headers!, record.headers, 'the record headers')

    // A record that does not decode, from another producer: its dead letter.
    await testProducer(t).send({
      messages: [
        {
          topic: system.topic,
          partition: 0,
          key: Buffer.from('poison'),
          value: Buffer.from('{"v":2}'),
          headers: new Map([[Buffer.from('origin'), Buffer.from('test')]]),
        },
      ],
    })
    const [deadLetter] = await readTopic(system.deadLetterTopic, 1, 30_000)
    assert.ok(deadLetter, 'the aggregator dead-lettered the record')
    assertMatches($defs.deadLetterHeaders!, deadLetter.headers, 'the dead-letter headers')
    assert.equal(deadLetter.headers.origin, 'test', 'the original headers are kept')
    assert.equal(deadLetter.value, '{"v":2}')
  })
})
