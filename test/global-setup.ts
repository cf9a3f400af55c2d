import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { createSql } from '../src/shared/db.ts'
import { createAdmin } from '../src/shared/kafka.ts'
import { migrate } from '../src/shared/migrate.ts'
import { testEnv } from './helpers/test-env.ts'

/**
 * Runs once per `node --test` run, before any test file: starts a real Kafka
 * broker of the run's own (ports 19092/19093 unless SUMMA_TEST_KAFKA_PORT says
 * otherwise, data in a temp dir) and a migrated template database. Test files
 * get both through the environment and copy the template per test.
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
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  broker.stdout?.pipe(log)
  broker.stderr?.pipe(log)
  const exited = new Promise<never>((_, reject) =>
    broker?.once('exit', (code) => reject(new Error(`test broker exited with ${code}; see ${logFile}`))),
  )
  await Promise.race([waitForKafka(bootstrap, 180_000), exited])
  process.env[testEnv.kafkaBootstrap] = bootstrap
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

async function waitForKafka(bootstrap: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const admin = createAdmin([bootstrap], 'summa-test-setup')
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
