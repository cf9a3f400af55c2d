import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrokerUsers, readBrokerUsers, saslEnv } from '../../src/cli/up-broker-auth.ts'
import { createAdmin, type KafkaConnection } from '../../src/shared/kafka.ts'
import type { DatabaseTlsFiles } from '../../src/shared/tls/database-tls.ts'
import { eventually } from '../helpers/eventually.ts'
import type { TestCertificates } from '../helpers/tls-certificates.ts'
import { PostgresCluster } from './postgres-cluster.ts'
import { Supervised } from './supervisor.ts'
import type { ServiceName } from './system-under-test.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

/**
 * A fault suite's own PostgreSQL cluster and Kafka broker, which its scenarios may crash. The
 * broker is the authenticated one `make up` runs (SCRAM-SHA-512 users, ACLs); with `tls`, its
 * client listener is SASL_SSL and PostgreSQL takes only TLS connections with a client certificate.
 */
export interface FaultDependencies {
  postgres: PostgresCluster
  /** Under a supervisor, so a scenario can kill it and have it come back on the same data. */
  broker: Supervised
  bootstrap: string
  /** The broker's SCRAM users, as its first start generated them. */
  users: BrokerUsers
  /** How the suite's own clients reach the broker: as its admin, over TLS when it is on. */
  kafka: KafkaConnection
  /** The throwaway CA, the server certificate both dependencies use, and the database client's files. */
  tls?: TestCertificates & { database: DatabaseTlsFiles }
  /** `postgres.url` for `database`, with the sslmode TLS needs. */
  databaseUrl: (database: string) => string
  /** What each process of summa is given to reach both: only its own broker user, as `summa up` does. */
  envOf: (process: ServiceName | 'migrate') => Record<string, string>
  /** Stops the broker and removes the cluster. */
  stop: () => Promise<void>
}

/**
 * Starts them on `basePort` (broker; +1 its controller, +2 PostgreSQL), the broker's data under
 * `dir`, its log in `logFile`; resolves once the broker answers its admin.
 */
export async function startFaultDependencies(
  basePort: number,
  dir: string,
  logFile: string,
  options: { tls?: boolean } = {},
): Promise<FaultDependencies> {
  const bootstrap = `127.0.0.1:${basePort}`
  const postgres = new PostgresCluster(basePort + 2)
  let tls: Awaited<ReturnType<typeof tlsOnly>> | undefined
  try {
    tls = options.tls === true ? await tlsOnly(postgres) : undefined
    await postgres.init()
  } catch (error) {
    // Nothing else holds the cluster yet: its directory (and the throwaway CA's key) goes now.
    await postgres.destroy()
    throw error
  }
  const brokerDir = path.join(dir, 'broker')
  const broker = new Supervised({
    name: 'kafka',
    command: path.join(root, 'scripts/kafka/run.sh'),
    args: [],
    env: {
      ...process.env,
      SUMMA_DATA_DIR: brokerDir,
      KAFKA_PORT: String(basePort),
      KAFKA_CONTROLLER_PORT: String(basePort + 1),
      KAFKA_HEAP: '384m',
      KAFKA_SASL: 'true',
      ...(tls === undefined
        ? {}
        : { KAFKA_BROKER_TLS_KEYSTORE: tls.keystore, KAFKA_BROKER_TLS_TRUSTSTORE: tls.caFile }),
    },
    logFile,
  })
  broker.start()
  const stop = async (): Promise<void> => {
    await broker.stop(30_000)
    await postgres.destroy()
  }
  try {
    const users = await eventually(async () => {
      const read = await readBrokerUsers(path.join(brokerDir, 'kafka-users.env'))
      if (read === undefined) throw new Error('the broker has not written its users yet')
      return read
    }, 60_000)
    const kafka: KafkaConnection = {
      sasl: users.admin,
      ...(tls === undefined ? {} : { tls: { ca: tls.ca } }),
    }
    await eventually(
      async () => {
        const admin = createAdmin([bootstrap], 'summa-faults', kafka)
        try {
          await admin.listTopics()
        } finally {
          await admin.close().catch(() => {})
        }
      },
      180_000,
      500,
    )
    const shared: Record<string, string> =
      tls === undefined
        ? {}
        : {
            KAFKA_TLS_CA_FILE: tls.caFile,
            SUMMA_DATABASE_CA_FILE: tls.database.caFile,
            SUMMA_DATABASE_CERT_FILE: tls.database.certFile,
            SUMMA_DATABASE_KEY_FILE: tls.database.keyFile,
          }
    const brokerUser = { migrate: users.admin, relay: users.relay, aggregator: users.aggregator }
    return {
      postgres,
      broker,
      bootstrap,
      users,
      kafka,
      ...(tls === undefined ? {} : { tls: { ...tls.certs, database: tls.database } }),
      databaseUrl: (database) =>
        `postgres://postgres@127.0.0.1:${postgres.port}/${database}${tls === undefined ? '' : '?sslmode=verify-full'}`,
      envOf: (name) => {
        const user = name === 'calculator' ? undefined : brokerUser[name]
        return { ...shared, ...(user === undefined ? {} : saslEnv(user)) }
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * A cluster that takes TLS connections with a client certificate only, and the broker's PEM key
 * store for the same server certificate (Kafka's: the PKCS#8 key, then the certificate chain).
 */
async function tlsOnly(postgres: PostgresCluster) {
  const { certs, client } = await postgres.requireClientCertificates()
  const keystore = path.join(postgres.dir, 'broker-keystore.pem')
  await writeFile(
    keystore,
    `${await readFile(certs.keyFile, 'utf8')}${await readFile(certs.certFile, 'utf8')}`,
    {
      mode: 0o600,
    },
  )
  return { certs, ca: certs.ca, caFile: client.caFile, keystore, database: client }
}
