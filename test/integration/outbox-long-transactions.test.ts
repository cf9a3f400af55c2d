import assert from 'node:assert/strict'
import { randomInt, randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { createSql, type Sql } from '../../src/shared/db.ts'
import { encodeSumEvent } from '../../src/shared/sum-event.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { readTopic, topicRecordCount } from '../helpers/kafka.ts'
import { pendingEvents } from '../helpers/outbox.ts'
import { createTestSystem, startTestRelay } from '../helpers/system.ts'

const shortTransactions = 10_000
const longTransactions = 12

function outboxInsert(tx: Sql, requestId: string) {
  // The relay never decodes payloads; here the event id simply reuses the request id.
  const payload = encodeSumEvent({
    v: 1,
    eventId: requestId,
    requestId,
    num1: '1',
    num2: '2',
    sum: '3',
    acceptedAt: new Date().toISOString(),
  })
  return tx`insert into outbox (event_id, message_key, payload) values (${requestId}, ${requestId}, ${payload})`
}

describe('outbox under long transactions', () => {
  it(`${shortTransactions} short transactions interleaved with ${longTransactions} held open 1-6 s: none skipped, none published twice`, async (t) => {
    const system = await createTestSystem(t, { SUMMA_RELAY_BATCH_SIZE: '200' })
    await startTestRelay(t, system.config)
    // Its own pool: each long transaction holds a connection for its whole life.
    const sql = createSql({
      url: system.db.url,
      poolSize: longTransactions + 8,
      applicationName: 'summa-test',
    })
    defer(t, () => sql.end({ timeout: 5 }))
    const ids: string[] = []

    // Long transactions take their outbox ids (identity values) early and
    // commit late, below ids that short transactions committed long before:
    // exactly what skips rows in a relay that reads by an id cursor.
    const long = Array.from({ length: longTransactions }, async (_, i) => {
      await delay(i * 500)
      const requestId = randomUUID()
      ids.push(requestId)
      // Seconds, not longer: the relay's watermark is the oldest transaction
      // running anywhere on the server, so these hold back the relays of the
      // tests running beside this one too (delayed, never skipped).
      const holdMs = i === 0 ? 6000 : i === 1 ? 1000 : randomInt(1000, 6000)
      await sql.begin(async (tx) => {
        await outboxInsert(tx as unknown as Sql, requestId)
        await delay(holdMs)
      })
    })
    const workers = Array.from({ length: 8 }, async (_, worker) => {
      for (let i = worker; i < shortTransactions; i += 8) {
        const requestId = randomUUID()
        ids.push(requestId)
        await sql.begin((tx) => outboxInsert(tx as unknown as Sql, requestId))
      }
    })
    await Promise.all([...long, ...workers])

    await eventually(
      async () => {
        assert.equal(await pendingEvents(sql), 0)
      },
      60_000,
      200,
    )
    const expected = shortTransactions + longTransactions
    // Counted first, so that reading stops at the last record instead of waiting to see if more come.
    const onTopic = await topicRecordCount(system.topic)
    const records = await readTopic(system.topic, expected, 60_000)
    const seen = new Map<string, number>()
    for (const record of records)
      seen.set(record.headers['summa-event-id']!, (seen.get(record.headers['summa-event-id']!) ?? 0) + 1)
    const skipped = ids.filter((id) => !seen.has(id))
    const twice = [...seen.values()].filter((count) => count > 1).length
    assert.deepEqual(
      { skipped: skipped.length, twice, records: records.length, onTopic },
      { skipped: 0, twice: 0, records: expected, onTopic: expected },
    )
  })
})
