import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { Sql } from '../../src/shared/db.ts'
import { migrate, migrationsDir } from '../../src/shared/migrate.ts'
import { eventHeaders } from '../../src/shared/sum-event.ts'
import { defer } from '../helpers/cleanup.ts'
import { createEmptyTestDatabase } from '../helpers/database.ts'
import { eventually } from '../helpers/eventually.ts'
import { readTopic, testProducer } from '../helpers/kafka.ts'
import { pendingEvents } from '../helpers/outbox.ts'
import {
  calculatorClient,
  createTestSystem,
  getJson,
  startTestAggregator,
  startTestCalculator,
  startTestRelay,
} from '../helpers/system.ts'

// A database made by the release before the relay's cursor (migrations 1-4, rows marked published
// one by one) upgrades to it without losing or applying anything twice. The release before is
// played faithfully where it differs: its relay is emulated here (claim unpublished rows in id
// order, produce them with the same headers, mark them published), and today's calculator and
// aggregator, which write and read those tables as it did, stand in for its own.

/** sql/migrations without the ones from `first` on: the schema of the release before. */
async function migrationsBefore(t: TestContext, first: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'summa-migrations-'))
  await cp(migrationsDir, dir, {
    recursive: true,
    filter: (source) => !source.endsWith('.sql') || path.basename(source) < first,
  })
  defer(t, () => rm(dir, { recursive: true, force: true }))
  return dir
}

/**
 * The release before's relay pass: the first `count` unpublished rows in id
 * order, produced; marked published unless `mark` is false (a crash between
 * the broker's acknowledgement and the commit).
 */
async function oldRelayPass(
  t: TestContext,
  sql: Sql,
  topic: string,
  count: number,
  mark = true,
): Promise<string[]> {
  const rows = await sql<
    {
      id: string
      event_id: string
      message_key: string
      payload: string
      traceparent: string | null
      signature: string | null
    }[]
  >`
    select id, event_id, message_key, payload, traceparent, signature from outbox
    where published_at is null order by id limit ${count}`
  await testProducer(t).send({
    messages: rows.map((row) => {
      const headers = new Map<Buffer, Buffer>([
        [Buffer.from(eventHeaders.eventId), Buffer.from(row.event_id)],
        [Buffer.from(eventHeaders.contentType), Buffer.from('application/json')],
      ])
      if (row.traceparent !== null)
        headers.set(Buffer.from(eventHeaders.traceparent), Buffer.from(row.traceparent))
      if (row.signature !== null) headers.set(Buffer.from(eventHeaders.signature), Buffer.from(row.signature))
      return { topic, key: Buffer.from(row.message_key), value: Buffer.from(row.payload), headers }
    }),
  })
  if (mark)
    await sql`update outbox set published_at = now() where id = any(${rows.map((row) => row.id)}::int8[])`
  return rows.map((row) => row.event_id)
}

async function appliedCount(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from applied_events`
  return row?.n ?? 0
}

describe('upgrading to the relay cursor (migration 5)', () => {
  it('publishes what was waiting, re-publishes nothing marked, and applies every event exactly once', async (t) => {
    const db = await createEmptyTestDatabase(t)
    await migrate(db.sql, await migrationsBefore(t, '000005'))
    const system = await createTestSystem(t, { DATABASE_URL: db.url })
    const { topic } = system

    // Twelve Adds accepted by the release before: twelve requests, twelve outbox rows.
    const calculator = await startTestCalculator(t, system.config)
    const client = calculatorClient(t, calculator.running.grpcPort)
    let expected = 0n
    for (let i = 1; i <= 12; i++) {
      await client.add({ requestId: randomUUID(), num1: String(i * 1000), num2: String(i) })
      expected += BigInt(i * 1001)
    }
    await calculator.stop()

    // Its relay published rows 1-4 and marked them; its aggregator applied them.
    const aggregator = await startTestAggregator(t, system.config)
    await oldRelayPass(t, db.sql, topic, 4)
    await eventually(async () => assert.equal(await appliedCount(db.sql), 4))
    // Rows 5-6 published and marked, row 7 published but never marked (the relay died
    // between the broker's acknowledgement and its commit), all applied.
    await oldRelayPass(t, db.sql, topic, 2)
    const [resent] = await oldRelayPass(t, db.sql, topic, 1, false)
    await eventually(async () => assert.equal(await appliedCount(db.sql), 7))
    await aggregator.stop()
    // Rows 8-9 published and marked while no aggregator ran: on the topic, not applied.
    await oldRelayPass(t, db.sql, topic, 2)
    // Rows 7 and 10-12 are unpublished as far as the database knows.
    const [waiting] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from outbox where published_at is null`
    assert.equal(waiting?.n, 4)

    await migrate(db.sql)
    // The rows still waiting, and only they, are after the new cursor.
    assert.equal(await pendingEvents(db.sql), 4)

    await startTestRelay(t, system.config)
    const upgraded = await startTestAggregator(t, system.config)
    await eventually(async () => assert.equal(await pendingEvents(db.sql), 0))
    await eventually(async () => {
      const { body } = await getJson<{ total: string }>(upgraded.running.httpPort, '/total')
      assert.equal(body.total, expected.toString())
    })

    // On the topic: 9 records from before and the 4 waiting rows, the unmarked one a second time.
    const records = await readTopic(topic, 13)
    assert.equal(records.length, 13)
    const copies = new Map<string, number>()
    for (const record of records) {
      const id = record.headers[eventHeaders.eventId]!
      copies.set(id, (copies.get(id) ?? 0) + 1)
    }
    assert.equal(copies.size, 12)
    assert.deepEqual(
      [...copies].filter(([, n]) => n > 1).map(([id]) => id),
      [resent],
    )
    // Each of the twelve applied once; the re-sent copy counted as a duplicate, not added.
    const [totals] = await db.sql<{ applied: string; duplicates: string; subtotal: string }[]>`
      select sum(applied_count)::text as applied, sum(duplicate_count)::text as duplicates,
             sum(subtotal)::text as subtotal
      from partition_totals where topic = ${topic}`
    assert.deepEqual(totals, { applied: '12', duplicates: '1', subtotal: expected.toString() })
    const [events] = await db.sql<{ n: number; requests: number }[]>`
      select count(*)::int as n, count(distinct request_id)::int as requests from applied_events`
    assert.deepEqual(events, { n: 12, requests: 12 })
  })
})
