import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import https from 'node:https'
import path from 'node:path'
import { cliEntry, serviceCommand } from '../../src/cli/service-runtime.ts'
import { testEventKeyEnv } from '../helpers/event-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import { freePort } from '../helpers/ports.ts'
import { Supervised } from './supervisor.ts'

export type ServiceName = 'calculator' | 'relay' | 'aggregator'

export interface SystemUnderTest {
  env: Record<string, string>
  dataDir: string
  services: Record<ServiceName, Supervised>
  healthPorts: Record<ServiceName, number>
  grpcAddress: string
  /** The CA that signed the services' certificate when TLS is on (startSystem's `tls`). */
  ca?: Buffer
  stop: () => Promise<void>
}

/**
 * calculator, relay and aggregator as three separate real processes (what
 * `summa up` runs), each supervised and restarted when it dies, against the
 * given database and broker. Settings are tuned so faults show quickly: a
 * short server-side Add timeout and fast relay polling.
 */
export async function startSystem(options: {
  databaseUrl: string
  bootstrap: string
  topic: string
  dir: string
  /** Replication factor of the topics `summa migrate` creates (3 on the three-broker cluster). */
  replication?: number
  /** Runs after `summa migrate`, before the services start (e.g. to stop PostgreSQL). */
  beforeServices?: () => Promise<void>
  /** TLS on every port of every service: the server certificate and key, and the CA clients trust. */
  tls?: { certFile: string; keyFile: string; ca: Buffer }
  /** More settings for every process (e.g. SUMMA_API_KEYS). */
  env?: Record<string, string>
  /** Settings of one process alone (its own broker user: FaultDependencies.envOf). */
  envOf?: (process: ServiceName | 'migrate') => Record<string, string>
}): Promise<SystemUnderTest> {
  const dataDir = path.join(options.dir, 'data')
  await mkdir(dataDir, { recursive: true })
  const healthPorts = {
    calculator: await freePort(),
    relay: await freePort(),
    aggregator: await freePort(),
  }
  const grpcPort = await freePort()
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    SUMMA_DATA_DIR: dataDir,
    KAFKA_BOOTSTRAP_SERVERS: options.bootstrap,
    SUMMA_TOPIC: options.topic,
    SUMMA_CONSUMER_GROUP: `${options.topic}-aggregator`,
    SUMMA_GRPC_PORT: String(grpcPort),
    SUMMA_HTTP_PORT: String(healthPorts.aggregator),
    SUMMA_CALCULATOR_HTTP_PORT: String(healthPorts.calculator),
    SUMMA_RELAY_HTTP_PORT: String(healthPorts.relay),
    SUMMA_TOPIC_REPLICATION: String(options.replication ?? 1),
    SUMMA_ADD_TIMEOUT_MS: '900',
    SUMMA_RELAY_POLL_INTERVAL_MS: '200',
    SUMMA_SHUTDOWN_TIMEOUT_MS: '5000',
    SUMMA_LOG_LEVEL: process.env.SUMMA_FAULTS_LOG_LEVEL ?? 'info',
    ...testEventKeyEnv,
    ...(options.tls === undefined
      ? {}
      : { SUMMA_TLS_CERT_FILE: options.tls.certFile, SUMMA_TLS_KEY_FILE: options.tls.keyFile }),
    ...options.env,
  }
  const envOf = (name: ServiceName | 'migrate') => ({ ...process.env, ...env, ...options.envOf?.(name) })
  await runSumma(['migrate'], envOf('migrate'), path.join(options.dir, 'migrate.log'))
  await options.beforeServices?.()
  const services = {} as Record<ServiceName, Supervised>
  for (const name of ['aggregator', 'relay', 'calculator'] as const) {
    services[name] = new Supervised({
      name,
      command: process.execPath,
      // As `summa up` starts them: the services' V8 settings included.
      args: serviceCommand(name),
      env: envOf(name),
      logFile: path.join(options.dir, `${name}.log`),
    })
    services[name].start()
  }
  return {
    env,
    dataDir,
    services,
    healthPorts,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    ...(options.tls === undefined ? {} : { ca: options.tls.ca }),
    stop: async () => {
      await services.calculator.stop()
      await Promise.all([services.relay.stop(), services.aggregator.stop()])
    },
  }
}

/** The status of GET /health on `port` (0 when there is no answer); over TLS trusting `ca` when given. */
export async function healthStatus(port: number, ca?: Buffer): Promise<number> {
  if (ca !== undefined) return httpsStatus(port, '/health', ca)
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) })
    await response.arrayBuffer()
    return response.status
  } catch {
    return 0
  }
}

// node:https, because fetch takes no CA without undici's own Agent.
function httpsStatus(port: number, route: string, ca: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const request = https.get({ host: '127.0.0.1', port, path: route, ca, timeout: 1000 }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(0))
  })
}

/** Waits until every service of `system` answers /health with 200. */
export async function waitUntilHealthy(system: SystemUnderTest, timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      for (const port of Object.values(system.healthPorts))
        assert.equal(await healthStatus(port, system.ca), 200)
    },
    timeoutMs,
    100,
  )
}

/** Runs `summa ARGS` to completion, its output kept in `logFile`; rejects unless it exits 0. */
export async function runSumma(args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  let output = ''
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('error', reject)
    child.once('exit', resolve)
  })
  await writeFile(logFile, output)
  if (code !== 0) throw new Error(`summa ${args.join(' ')} exited ${code}: ${output}`)
}
