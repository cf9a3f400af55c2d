import { type EventKey, parseEventKey, signEvent } from '../../src/shared/event-signature.ts'
import { eventHeaders, type SumEvent } from '../../src/shared/sum-event.ts'

/**
 * The event key every test system signs and verifies with (a test key, known
 * to everyone, like the tests' database password): tests that write their own
 * events to the topic sign them with it to have them applied.
 */
export const testSigningKeyText = `test-1:${Buffer.alloc(32, 7).toString('base64')}`
export const testSigningKey: EventKey = parseEventKey(testSigningKeyText, 'test key')

/** The settings that give a service the test key (calculator: signs; aggregator: verifies). */
export const testEventKeyEnv = { SUMMA_EVENT_SIGNING_KEY: testSigningKeyText }

/** Headers for a record carrying `event` as the relay sends it: event id and signature. */
export function signedHeaders(event: SumEvent, key: EventKey = testSigningKey): Map<Buffer, Buffer> {
  return new Map([
    [Buffer.from(eventHeaders.eventId), Buffer.from(event.eventId)],
    [Buffer.from(eventHeaders.signature), Buffer.from(signEvent(key, event))],
  ])
}
