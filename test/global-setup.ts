import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { readBrokerUsers } from '../src/cli/up-broker-auth.ts'
import type { KafkaSasl } from '../src/shared/config.ts'
import { createSql } from '../src/shared/db.ts'
import { createAdmin } from '../src/shared/kafka.ts'
import { migrate } from '../src/shared/migrate.ts'
import { testEnv } from './helpers/test-env.ts'

/**
 * Runs once per `node --test` run, before any test file: starts a real Kafka
 * broker of the run's own (ports 19092/19093 unless SUMMA_TEST_KAFKA_PORT says
 * otherwise, data in a temp dir) and a migrated template database. Test files
 * get both through the environment and copy the template per test. The broker
 * is the authenticated one `make up` runs (KAFKA_SASL=true: SCRAM-SHA-512
 * users, ACLs, nothing anonymous); the tests' clients and processes use its
 * admin user (test/helpers/kafka.ts).
 */
const root = fileURLToPath(new URL('../', import.meta.url))
const adminUrl = process.env.SUMMA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
// Per run, so concurrent runs (several checkouts on one machine) never share a template.
const template = `summa_test_template_${process.pid}`
let broker: ChildProcess | undefined
let dataDir: string | undefined

export async function globalSetup(): Promise<void> {
  await createTemplateDatabase()
  const external = process.env.SUMMA_TEST_KAFKA_BOOTSTRAP
  if (external) return
  const port = Number(process.env.SUMMA_TEST_KAFKA_PORT ?? 19092)
  const bootstrap = `127.0.0.1:${port}`
  dataDir = await mkdtemp(path.join(tmpdir(), 'summa-test-kafka-'))
  const logFile = path.join(root, '.test-data', 'kafka-broker.log')
  await mkdir(path.dirname(logFile), { recursive: true })
  const log = createWriteStream(logFile)
  broker = spawn(path.join(root, 'scripts/kafka/run.sh'), [], {
    env: {
      ...process.env,
      SUMMA_DATA_DIR: dataDir,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(port + 1),
      KAFKA_SASL: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  broker.stdout?.pipe(log)
  broker.stderr?.pipe(log)
  const exited = new Promise<never>((_, reject) =>
    broker?.once('exit', (code) => reject(new Error(`test broker exited with ${code}; see ${logFile}`))),
  )
  const admin = await Promise.race([brokerAdmin(dataDir), exited])
  await Promise.race([waitForKafka(bootstrap, admin, 180_000), exited])
  process.env[testEnv.kafkaBootstrap] = bootstrap
  process.env[testEnv.kafkaUsername] = admin.username
  process.env[testEnv.kafkaPassword] = admin.password
}

export async function globalTeardown(): Promise<void> {
  if (broker !== undefined && broker.exitCode === null) {
    const exited = new Promise((resolve) => broker?.once('exit', resolve))
    broker.kill('SIGTERM')
    const timer = setTimeout(() => broker?.kill('SIGKILL'), 30_000)
    await exited
    clearTimeout(timer)
  }
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`drop database if exists ${template} with (force)`).finally(() => admin.end())
}

async function createTemplateDatabase(): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`drop database if exists ${template} with (force)`)
    await admin.unsafe(`create database ${template}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${template}`
  const sql = createSql({ url: url.toString(), poolSize: 1, applicationName: 'summa-test-setup' })
  try {
    await migrate(sql)
  } finally {
    await sql.end()
  }
  process.env[testEnv.templateDatabase] = template
  process.env[testEnv.adminDatabaseUrl] = adminUrl
}

/** The admin user run.sh generates on the broker's first start (written before the JVM starts). */
async function brokerAdmin(dir: string): Promise<KafkaSasl> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const users = await readBrokerUsers(path.join(dir, 'kafka-users.env'))
    if (users !== undefined) return users.admin
    if (Date.now() > deadline) throw new Error(`the test broker wrote no users in ${dir}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function waitForKafka(bootstrap: string, sasl: KafkaSasl, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const admin = createAdmin([bootstrap], 'summa-test-setup', { sasl })
    try {
      await admin.listTopics()
      return
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`Kafka at ${bootstrap} not ready in ${timeoutMs} ms`, { cause: error })
    } finally {
      await admin.close().catch(() => {})
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
}
