import postgres from 'postgres'
import { type DatabaseTlsFiles, databaseConnection } from './tls/database-tls.ts'

export type Sql = postgres.Sql

export interface DatabaseOptions {
  url: string
  poolSize: number
  /** Shown in pg_stat_activity, so an operator can tell summa's connections apart. */
  applicationName: string
  /** Seconds to wait for a connection before failing: keeps a down database from hanging callers. */
  connectTimeoutS?: number
  /**
   * Server-side limit on a transaction left idle, e.g. by a process whose host
   * vanished mid-transaction: its row locks (the relay's cursor, partition
   * rows) are released after this instead of after TCP keepalive gives up.
   */
  idleInTransactionTimeoutMs?: number
  /**
   * Seconds before reconnecting after a failed connection. postgres.js grows
   * this up to 20 s, during which queries wait; a caller with its own circuit
   * breaker sets it short, so a down database fails queries fast instead.
   */
  reconnectBackoffS?: number
  /** CA, certificate and key for TLS; `sslmode` is DATABASE_URL's (see databaseConnection). */
  tls?: DatabaseTlsFiles
}

/**
 * Opens a connection pool. bigint and numeric values stay strings: the running
 * total is arbitrary precision and must never pass through a float.
 */
export function createSql({
  url,
  poolSize,
  applicationName,
  connectTimeoutS = 5,
  idleInTransactionTimeoutMs = 60_000,
  reconnectBackoffS,
  tls,
}: DatabaseOptions): Sql {
  const connection = databaseConnection(url, tls)
  return postgres(connection.url, {
    ssl: connection.ssl,
    ...(reconnectBackoffS === undefined ? {} : { backoff: () => reconnectBackoffS }),
    max: poolSize,
    connect_timeout: connectTimeoutS,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    prepare: true,
    onnotice: () => {},
    keep_alive: 30,
    connection: {
      application_name: applicationName,
      idle_in_transaction_session_timeout: idleInTransactionTimeoutMs,
    },
  })
}
