import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { serviceCommand } from '../../src/cli/service-runtime.ts'
import { testEventKeyEnv } from '../helpers/event-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import { freePort } from '../helpers/ports.ts'
import { Supervised } from './supervisor.ts'
import { healthStatus, runSumma, type ServiceName } from './system-under-test.ts'

export interface Replica {
  service: ServiceName
  id: string
  process: Supervised
  healthPort: number
  /** The aggregator's own data dir (sum.txt, audit.jsonl); the others share one. */
  dataDir: string
}

export interface ReplicatedSystem {
  replicas: Replica[]
  of: (service: ServiceName) => Replica[]
  /** Every calculator, for a round-robin client. */
  grpcAddresses: string
  stop: () => Promise<void>
}

/**
 * `count` replicas of every service as separate supervised processes (restarted
 * 200 ms after they die unless held), each with its own ports, replica id and,
 * for aggregators, data dir, all in one consumer group and on one database:
 * what `summa up --replicas` runs, or several hosts would.
 */
export async function startReplicas(options: {
  databaseUrl: string
  bootstrap: string
  topic: string
  dir: string
  count: number
  env?: Record<string, string>
  /** Settings of one process alone (its own broker user: FaultDependencies.envOf). */
  envOf?: (process: ServiceName | 'migrate') => Record<string, string>
}): Promise<ReplicatedSystem> {
  const common: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    KAFKA_BOOTSTRAP_SERVERS: options.bootstrap,
    SUMMA_TOPIC: options.topic,
    SUMMA_CONSUMER_GROUP: `${options.topic}-aggregator`,
    SUMMA_ADD_TIMEOUT_MS: '900',
    SUMMA_RELAY_POLL_INTERVAL_MS: '200',
    SUMMA_SHUTDOWN_TIMEOUT_MS: '5000',
    SUMMA_LOG_LEVEL: process.env.SUMMA_FAULTS_LOG_LEVEL ?? 'info',
    ...testEventKeyEnv,
    ...options.env,
  }
  await mkdir(path.join(options.dir, 'shared'), { recursive: true })
  await runSumma(
    ['migrate'],
    {
      ...process.env,
      ...common,
      ...options.envOf?.('migrate'),
      SUMMA_DATA_DIR: path.join(options.dir, 'shared'),
    },
    path.join(options.dir, 'migrate.log'),
  )
  const replicas: Replica[] = []
  const grpcPorts: number[] = []
  // All ports drawn before any process starts, and never the same twice: a port
  // drawn for one replica is free until that replica binds it.
  const taken = new Set<number>()
  const port = async (): Promise<number> => {
    for (;;) {
      const candidate = await freePort()
      if (!taken.has(candidate)) {
        taken.add(candidate)
        return candidate
      }
    }
  }
  for (const service of ['aggregator', 'relay', 'calculator'] as const) {
    for (let n = 1; n <= options.count; n++) {
      const id = `${service}-${n}`
      const healthPort = await port()
      const grpcPort = service === 'calculator' ? await port() : 0
      if (service === 'calculator') grpcPorts.push(grpcPort)
      const dataDir = path.join(options.dir, service === 'aggregator' ? id : 'shared')
      await mkdir(dataDir, { recursive: true })
      const env = {
        ...common,
        SUMMA_REPLICA_ID: id,
        SUMMA_DATA_DIR: dataDir,
        SUMMA_GRPC_PORT: String(grpcPort),
        SUMMA_HTTP_PORT: String(healthPort),
        SUMMA_CALCULATOR_HTTP_PORT: String(healthPort),
        SUMMA_RELAY_HTTP_PORT: String(healthPort),
      }
      const supervised = new Supervised({
        name: id,
        command: process.execPath,
        args: serviceCommand(service),
        env: { ...process.env, ...env, ...options.envOf?.(service) },
        logFile: path.join(options.dir, `${id}.log`),
      })
      supervised.start()
      replicas.push({ service, id, process: supervised, healthPort, dataDir })
    }
  }
  const of = (service: ServiceName) => replicas.filter((replica) => replica.service === service)
  return {
    replicas,
    of,
    grpcAddresses: grpcPorts.map((port) => `127.0.0.1:${port}`).join(','),
    stop: async () => {
      await Promise.all(of('calculator').map((replica) => replica.process.stop()))
      await Promise.all([...of('relay'), ...of('aggregator')].map((replica) => replica.process.stop()))
    },
  }
}

/** Waits until `replica` (or every replica) answers /health with 200. */
export async function waitHealthy(replicas: Replica[], timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      for (const replica of replicas) assert.equal(await healthStatus(replica.healthPort), 200, replica.id)
    },
    timeoutMs,
    100,
  )
}
