import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import postgres from 'postgres'
import { createSql } from '../../src/shared/db.ts'
import { SummaError } from '../../src/shared/errors.ts'
import { defer } from '../helpers/cleanup.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { eventually } from '../helpers/eventually.ts'

/**
 * A transaction whose connection dies, as when PostgreSQL crashes or restarts.
 * postgres.js 3.4.9 then issues the transaction's ROLLBACK (or the caller's
 * next statement) on the closed connection: the write is buffered, flushed
 * from a setImmediate on a socket that is now null, and the TypeError thrown
 * there ("Cannot read properties of null (reading 'write')") is uncaught and
 * ends the process (porsager/postgres#1066, #1154, #1208). patches/ fixes it;
 * these tests kill only the backend of their own transaction on the shared
 * server (pg_terminate_backend), and fail with that uncaught TypeError without
 * the patch.
 */
describe('a transaction whose connection is lost', () => {
  for (const when of ['a statement is running', 'no statement is running'] as const) {
    it(`rejects as retriable, and the pool goes on, when ${when}`, async (t) => {
      const db = await createTestDatabase(t)
      const sql = createSql({ url: db.url, poolSize: 2, applicationName: 'summa-test-loss' })
      defer(t, () => sql.end({ timeout: 5 }))
      const killer = postgres(db.url, { max: 1, onnotice: () => {} })
      defer(t, () => killer.end({ timeout: 5 }))

      let pid: number | undefined
      let resume: () => void = () => {}
      const resumed = new Promise<void>((resolve) => {
        resume = resolve
      })
      // Settled into a value at once: a rejection must not wait for a handler.
      const outcome = sql
        .begin(async (tx) => {
          const [row] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`
          pid = row?.pid
          if (when === 'a statement is running') {
            await tx`select pg_sleep(5)`
          } else {
            // Like the relay awaiting the broker between its claim and its mark.
            await resumed
            await tx`select 1`
          }
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      while (pid === undefined) await delay(20)
      await killer`select pg_terminate_backend(${pid})`
      await delay(200)
      resume()

      const error = await outcome
      assert.ok(error !== undefined, 'the transaction did not commit')
      assert.equal(SummaError.from(error).canRetry, true, String(error))
      // Give a stray write scheduled on the dead connection the time to run (and throw).
      await delay(200)
      const [row] = await sql<{ answer: number }[]>`select 42 as answer`
      assert.equal(row?.answer, 42)
    })
  }
})

/**
 * A reserve() waiting for the pool's only connection when the server closes
 * that connection, as a PostgreSQL restart does to every connection. postgres.js
 * 3.4.9 hands the waiting reserve to the reconnect as its first query and then
 * drops it once the connection opens: the promise never settles, and the
 * transaction built on it (a relay pass, an aggregator batch) hangs for good,
 * with its records held (porsager/postgres#1195). patches/ queues it again.
 */
describe('a reserve() waiting when the connection is lost', () => {
  it('gets the reconnected connection instead of waiting forever', async (t) => {
    const db = await createTestDatabase(t)
    const applicationName = 'summa-test-reserve'
    const sql = createSql({ url: db.url, poolSize: 1, applicationName })
    defer(t, () => sql.end({ timeout: 5 }))
    const killer = postgres(db.url, { max: 1, onnotice: () => {} })
    defer(t, () => killer.end({ timeout: 5 }))

    // The only connection is busy, so the reserve queues behind it.
    const busy = sql`select pg_sleep(30)`.then(
      () => undefined,
      (error: unknown) => error,
    )
    const pid = await eventually(async () => {
      const [row] = await killer<{ pid: number }[]>`
        select pid from pg_stat_activity
        where application_name = ${applicationName} and state = 'active' and query like '%pg_sleep%'`
      assert.ok(row, 'the busy statement is running')
      return row.pid
    })
    const reserving = sql.reserve()
    await killer`select pg_terminate_backend(${pid})`
    assert.equal(SummaError.from(await busy).canRetry, true, 'the statement in flight fails as retriable')

    const outcome = await Promise.race([
      reserving.then(() => 'reserved'),
      delay(15_000, 'still waiting after 15 s', { ref: false }),
    ])
    assert.equal(outcome, 'reserved')
    const reserved = await reserving
    try {
      const [row] = await reserved<{ answer: number }[]>`select 42 as answer`
      assert.equal(row?.answer, 42)
    } finally {
      reserved.release()
    }
    const [row] = await sql<{ answer: number }[]>`select 7 as answer`
    assert.equal(row?.answer, 7, 'the pool goes on after the release')
  })
})
