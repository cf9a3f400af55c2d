import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { startAggregator } from '../../src/aggregator/start-aggregator.ts'
import { startCalculator } from '../../src/calculator/start-calculator.ts'
import { saslEnv } from '../../src/cli/up-broker-auth.ts'
import { startRelay } from '../../src/relay/start-relay.ts'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { type Config, kafkaSasl, loadConfig } from '../../src/shared/config.ts'
import { Lifecycle } from '../../src/shared/lifecycle.ts'
import { createLogger } from '../../src/shared/logger.ts'
import type { ServiceHooks } from '../../src/shared/telemetry/service-tracing.ts'
import { defer } from './cleanup.ts'
import { createTestDatabase, type TestDatabase } from './database.ts'
import { testEventKeyEnv } from './event-keys.ts'
import { createTestTopic, testKafkaEnv } from './kafka.ts'
import { freePort } from './ports.ts'

type Context = Pick<TestContext, 'after'>

export interface TestSystem {
  config: Config
  db: TestDatabase
  topic: string
  deadLetterTopic: string
  dataDir: string
}

/**
 * The environment of one test: its own database, topic, consumer group and
 * data directory, all removed afterwards. Services are started separately so a
 * test can stop and restart one of them.
 */
export async function createTestSystem(
  t: Context,
  overrides: Record<string, string> = {},
): Promise<TestSystem> {
  const db = await createTestDatabase(t)
  const { topic, deadLetterTopic } = await createTestTopic(t)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'summa-test-'))
  defer(t, () => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({
    // A test that points at a broker of its own brings that broker's settings, not the shared one's user.
    ...(overrides.KAFKA_BOOTSTRAP_SERVERS === undefined ? testKafkaEnv() : {}),
    ...testServiceSettings({ databaseUrl: db.url, dataDir, topic }),
    ...overrides,
  })
  return { config, db, topic, deadLetterTopic, dataDir }
}

/**
 * The settings every in-process service of a test runs with, the broker aside: its database, data
 * directory and topic, ports the system picks, and the timings that keep tests short.
 */
export function testServiceSettings(system: {
  databaseUrl: string
  dataDir: string
  topic: string
}): Record<string, string> {
  return {
    DATABASE_URL: system.databaseUrl,
    SUMMA_DATA_DIR: system.dataDir,
    SUMMA_TOPIC: system.topic,
    SUMMA_CONSUMER_GROUP: `${system.topic}-aggregator`,
    SUMMA_GRPC_PORT: '0',
    SUMMA_HTTP_PORT: '0',
    SUMMA_CALCULATOR_HTTP_PORT: '0',
    SUMMA_RELAY_HTTP_PORT: '0',
    SUMMA_RELAY_POLL_INTERVAL_MS: '200',
    SUMMA_SHUTDOWN_TIMEOUT_MS: '5000',
    SUMMA_LOG_LEVEL: process.env.SUMMA_TEST_LOG_LEVEL ?? 'silent',
    ...testEventKeyEnv,
  }
}

export interface Started<T> {
  running: T
  lifecycle: Lifecycle
  stop: () => Promise<void>
}

async function start<T>(
  t: Context,
  name: string,
  config: Config,
  starter: (
    config: Config,
    log: ReturnType<typeof createLogger>,
    lifecycle: Lifecycle,
    hooks: ServiceHooks,
  ) => Promise<T>,
  hooks: ServiceHooks = {},
): Promise<Started<T>> {
  const log = createLogger({ level: config.SUMMA_LOG_LEVEL, service: name })
  const lifecycle = new Lifecycle(log)
  defer(t, () => lifecycle.close())
  const running = await starter(config, log, lifecycle, hooks)
  return { running, lifecycle, stop: () => lifecycle.close() }
}

export const startTestCalculator = (t: Context, config: Config, hooks?: ServiceHooks) =>
  start(t, 'calculator', config, startCalculator, hooks)
export const startTestRelay = (t: Context, config: Config, hooks?: ServiceHooks) =>
  start(t, 'relay', config, startRelay, hooks)
export const startTestAggregator = (t: Context, config: Config, hooks?: ServiceHooks) =>
  start(t, 'aggregator', config, startAggregator, hooks)

/** Calculator, relay and aggregator of one test system, the whole path from Add to total. */
export async function startTestPipeline(t: Context, config: Config) {
  const calculator = await startTestCalculator(t, config)
  const relay = await startTestRelay(t, config)
  const aggregator = await startTestAggregator(t, config)
  return { calculator, relay, aggregator }
}

/**
 * The environment for running a service of `system` as a real process
 * (`summa calculator|relay|aggregator`), on ports picked now.
 */
export async function processEnv(
  system: TestSystem,
  overrides: Record<string, string> = {},
): Promise<Record<string, string>> {
  const sasl = kafkaSasl(system.config)
  return {
    DATABASE_URL: system.db.url,
    SUMMA_DATA_DIR: system.dataDir,
    KAFKA_BOOTSTRAP_SERVERS: system.config.KAFKA_BOOTSTRAP_SERVERS,
    ...(sasl === undefined ? {} : saslEnv(sasl)),
    SUMMA_TOPIC: system.topic,
    SUMMA_CONSUMER_GROUP: system.config.SUMMA_CONSUMER_GROUP,
    SUMMA_GRPC_PORT: String(await freePort()),
    SUMMA_HTTP_PORT: String(await freePort()),
    SUMMA_CALCULATOR_HTTP_PORT: String(await freePort()),
    SUMMA_RELAY_HTTP_PORT: String(await freePort()),
    ...testEventKeyEnv,
    ...overrides,
  }
}

export function calculatorClient(t: Context, port: number): CalculatorClient {
  const client = new CalculatorClient(`127.0.0.1:${port}`)
  defer(t, () => client.close())
  return client
}

export async function getJson<T = unknown>(
  port: number,
  route: string,
): Promise<{ status: number; body: T; type: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, { signal: AbortSignal.timeout(5000) })
  const type = response.headers.get('content-type') ?? ''
  const text = await response.text()
  return { status: response.status, body: (type.includes('json') ? JSON.parse(text) : text) as T, type }
}
