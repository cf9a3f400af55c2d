import type postgres from 'postgres'
import type { Sql } from './db.ts'

/** What a statement of a transaction is sent on: `sql.begin`'s or a pipelined transaction's. */
export type Statements = postgres.ISql

/** A transaction's body: what it computed, and the statements that end it. */
export interface TransactionEnd<T> {
  value: T
  /**
   * Statements the body issued (`.execute()`) and did not wait for: they go
   * out with the COMMIT, and the transaction fails if any of them does.
   */
  last?: Array<Promise<unknown>>
}

/**
 * A transaction on one connection of the pool that costs two fewer round trips
 * than `sql.begin`: BEGIN is sent with the body's first statement instead of
 * being waited for, and the body's last writes go out with the COMMIT. On a
 * loopback connection each round trip costs both processes a write, a wake-up
 * and a read; a relay pass or an aggregator batch is a handful of statements,
 * and at hundreds of them a second that was a large part of their CPU.
 *
 * BEGIN cannot fail but by the connection failing, which fails the body's
 * first statement as well. A body that throws is rolled back; a last statement
 * that fails makes PostgreSQL turn the COMMIT into a rollback, and its error
 * is thrown.
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  body: (tx: Statements) => Promise<TransactionEnd<T>>,
): Promise<T> {
  const tx = await sql.reserve()
  let released = false
  const release = (): void => {
    if (released) return
    released = true
    tx.release()
  }
  try {
    const begun = tx`begin`.execute()
    let end: TransactionEnd<T>
    try {
      end = await body(tx)
      await begun
    } catch (error) {
      await Promise.allSettled([begun])
      await tx`rollback`.catch(() => {})
      throw error
    }
    const last = end.last ?? []
    const committed = tx`commit`.execute()
    const outcomes = await Promise.allSettled([...last, committed])
    const failed = outcomes.find((outcome) => outcome.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    return end.value
  } finally {
    release()
  }
}
