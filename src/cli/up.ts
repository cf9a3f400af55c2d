import { once } from 'node:events'
import { chmod, copyFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Config, kafkaBrokers, loadConfig } from '../shared/config.ts'
import { ensureEventKeysFile, eventKeysFile } from '../shared/event-keys.ts'
import { type KafkaConnection, kafkaAnswers, kafkaConnectionOf } from '../shared/kafka.ts'
import { createLogger, type Logger } from '../shared/logger.ts'
import { sleep } from '../shared/sleep.ts'
import { exitBySignal, onStopSignals, signalExitCode } from '../shared/stop-signals.ts'
import { clientTlsOf } from '../shared/tls/tls-settings.ts'
import { whenPostgresAnswers } from '../shared/when-postgres-answers.ts'
import { httpGet } from './http-get.ts'
import { migrateCommand } from './migrate-command.ts'
import { type PlannedReplica, planReplicas, type ReplicaCounts } from './replica-plan.ts'
import { serviceCommand } from './service-runtime.ts'
import { SupervisedProcess } from './supervised-process.ts'
import { type BrokerUsers, brokerAuth, kafkaUsersFile, readBrokerUsers, saslEnv } from './up-broker-auth.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * `summa up`: the whole system in the foreground. Starts the broker (unless one
 * already answers at KAFKA_BOOTSTRAP_SERVERS), prepares the schema and topics,
 * starts calculator, relay and aggregator (N of each with --replicas, ports and
 * data dirs from planReplicas), and on SIGINT/SIGTERM stops them in
 * the reverse order of the data flow's dependencies: the calculator first (no
 * new work), then relay and aggregator (finish their batches), then the broker.
 * Signals repeated within a second of the first (one Ctrl-C under `make up`
 * can arrive more than once) do not turn the ordered stop into a kill. Once
 * everything has stopped, it ends by the signal that stopped it, as each
 * service does (exitBySignal).
 */
export async function runUp(
  config: Config,
  env: NodeJS.ProcessEnv,
  counts: ReplicaCounts = { calculator: 1, relay: 1, aggregator: 1 },
): Promise<number> {
  const log = createLogger({ level: config.SUMMA_LOG_LEVEL, service: 'up' })
  await mkdir(config.SUMMA_DATA_DIR, { recursive: true })
  const plan = planReplicas(config, counts)
  // Zero-config event keys: made on the first run, kept in the data directory, reused after.
  const keys = await ensureEventKeysFile(config)
  if (keys !== 'environment') {
    log.info(
      { file: path.join(config.SUMMA_DATA_DIR, eventKeysFile), created: keys === 'created' },
      'event keys',
    )
  }
  const stopping = new AbortController()
  const children: Array<{ service: string; process: SupervisedProcess }> = []
  let broker: SupervisedProcess | undefined

  // Calculators first (no new work), then relays, then aggregators; the replicas of one service together.
  const stopAll = async (): Promise<void> => {
    for (const service of ['calculator', 'relay', 'aggregator']) {
      const tier = children.filter((child) => child.service === service)
      await Promise.all(tier.map((child) => child.process.stop(config.SUMMA_SHUTDOWN_TIMEOUT_MS + 2000)))
    }
    await broker?.stop(60_000)
  }
  let stoppedBy: NodeJS.Signals | undefined
  let failed = false
  const removeSignalHandlers = onStopSignals({
    log,
    graceful: (signal) => {
      log.info({ signal }, 'stopping summa')
      stoppedBy = signal
      stopping.abort()
    },
    force: (signal) => {
      log.warn({ signal }, 'second signal: killing everything now')
      for (const child of [...children.map((c) => c.process), broker]) child?.kill()
      process.exit(signalExitCode(signal))
    },
  })

  try {
    const auth = brokerAuth(config, env)
    // A broker already answering as it is (plaintext, or with the configured credentials) is used as is.
    const configured = kafkaConnectionOf(config)
    let users = auth.kind === 'generated' ? await readBrokerUsers(auth.usersFile) : undefined
    const asAdmin = (): KafkaConnection =>
      users === undefined ? configured : { ...configured, sasl: users.admin }
    if (await kafkaAnswers(kafkaBrokers(config), 'summa-up', asAdmin())) {
      log.info({ brokers: config.KAFKA_BOOTSTRAP_SERVERS }, 'using the Kafka broker already running')
    } else {
      if (auth.kind === 'plaintext') {
        log.warn({ reason: auth.reason }, 'starting the Kafka broker without authentication')
      }
      broker = startBroker(config, { ...env, KAFKA_SASL: auth.kind === 'generated' ? 'true' : 'false' }, log)
      if (auth.kind === 'generated') users = await waitForUsers(auth.usersFile, stopping.signal)
      await waitForKafka(config, stopping.signal, log, asAdmin())
    }
    if (stopping.signal.aborted) return 0
    if (users !== undefined)
      log.info({ file: path.join(config.SUMMA_DATA_DIR, kafkaUsersFile) }, 'Kafka users (SCRAM-SHA-512)')
    const io = { out: (line: string) => log.info(line), err: (line: string) => log.error(line) }
    // A database that is down (or still starting) is waited for, not a reason to
    // exit: `summa up` under a supervisor would otherwise restart in a loop.
    const migrateConfig = users === undefined ? config : loadConfig({ ...env, ...saslEnv(users.admin) })
    await whenPostgresAnswers(
      'preparing the schema',
      () => migrateCommand(migrateConfig, io),
      stopping.signal,
      log,
    )
    if (stopping.signal.aborted) return 0

    for (const replica of plan) {
      if (replica.dataDir !== undefined) {
        await mkdir(replica.dataDir, { recursive: true })
        // An aggregator with a data directory of its own reads the event keys there: the same
        // file, copied at every start so a key rotated in the first one reaches every replica.
        if (keys !== 'environment' && replica.dataDir !== config.SUMMA_DATA_DIR) {
          const copy = path.join(replica.dataDir, eventKeysFile)
          await copyFile(path.join(config.SUMMA_DATA_DIR, eventKeysFile), copy)
          await chmod(copy, 0o600)
        }
      }
      // Each service its own broker user; the calculator talks to no broker.
      const own =
        users === undefined || replica.service === 'calculator' ? {} : saslEnv(users[replica.service])
      const child = new SupervisedProcess({
        name: replica.name,
        command: process.execPath,
        args: serviceCommand(replica.service),
        env: { ...env, ...replica.env, ...own },
        log,
        restart: true,
      })
      child.start()
      children.push({ service: replica.service, process: child })
    }
    await waitForServices(
      config,
      plan.map((replica) => replica.httpPort),
      stopping.signal,
      log,
    )
    if (stopping.signal.aborted) return 0
    printEndpoints(config, plan)
    await once(stopping.signal, 'abort')
    return 0
  } catch (error) {
    // A failure is reported as one (exit 1, its message printed by the caller), even when a stop
    // signal arrives while everything is being stopped below.
    failed = true
    throw error
  } finally {
    await stopAll()
    log.info('summa stopped')
    if (!failed && stoppedBy !== undefined) exitBySignal(stoppedBy, removeSignalHandlers)
  }
}

function startBroker(config: Config, env: NodeJS.ProcessEnv, log: Logger): SupervisedProcess {
  const [first] = kafkaBrokers(config)
  const port = Number(first?.split(':')[1] ?? 9092)
  const logFile = path.join(config.SUMMA_DATA_DIR, 'kafka-broker.log')
  const broker = new SupervisedProcess({
    name: 'kafka',
    command: path.join(repoRoot, 'scripts/kafka/run.sh'),
    args: [],
    env: {
      ...env,
      // The broker cannot use an IPC channel: run.sh watches this pid instead and
      // stops the broker if `summa up` dies without stopping it.
      SUMMA_SUPERVISOR_PID: String(process.pid),
      SUMMA_DATA_DIR: config.SUMMA_DATA_DIR,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(port + 1),
    },
    log,
    logFile,
    restart: true,
  })
  log.info({ port, logFile }, 'starting the Kafka broker')
  broker.start()
  return broker
}

/** run.sh writes the users file before it formats the storage; the broker starts after. */
async function waitForUsers(usersFile: string, signal: AbortSignal): Promise<BrokerUsers | undefined> {
  const deadline = Date.now() + 60_000
  while (!signal.aborted) {
    const users = await readBrokerUsers(usersFile)
    if (users !== undefined) return users
    if (Date.now() > deadline)
      throw new Error(`the broker did not write ${usersFile} within 60 s; see kafka-broker.log`)
    await sleep(200, signal)
  }
  return undefined
}

async function waitForKafka(
  config: Config,
  signal: AbortSignal,
  log: Logger,
  connection: KafkaConnection,
): Promise<void> {
  const deadline = Date.now() + 180_000
  while (!signal.aborted) {
    if (await kafkaAnswers(kafkaBrokers(config), 'summa-up', connection)) {
      log.info({ brokers: config.KAFKA_BOOTSTRAP_SERVERS }, 'Kafka is ready')
      return
    }
    if (Date.now() > deadline)
      throw new Error('Kafka did not become ready within 180 s; see kafka-broker.log')
    await sleep(500, signal)
  }
}

/** Waits until every service's /health says ready, so the banner means what it says. */
async function waitForServices(
  config: Config,
  ports: number[],
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const deadline = Date.now() + 120_000
  const tls = clientTlsOf(config)
  const scheme = tls === undefined ? 'http' : 'https'
  for (const port of ports) {
    while (!signal.aborted) {
      const ready = await httpGet(`${scheme}://${config.SUMMA_HOST}:${port}/health`, {
        tls,
        timeoutMs: 1000,
      }).then(
        (response) => response.status === 200,
        () => false,
      )
      if (ready) break
      if (Date.now() > deadline) {
        log.error({ port }, 'a service did not become ready within 120 s; still waiting for it to recover')
        return
      }
      await sleep(200, signal)
    }
  }
}

function printEndpoints(config: Config, plan: PlannedReplica[]): void {
  const host = config.SUMMA_HOST
  const tls = config.SUMMA_TLS_CERT_FILE !== undefined
  const scheme = tls ? 'https' : 'http'
  const grpcurl = tls ? '-cacert CA.crt' : '-plaintext'
  const replicas =
    plan.length === 3
      ? []
      : [
          '  replicas:',
          ...plan.map(
            (replica) =>
              `    ${replica.name.padEnd(14)}${replica.grpcPort === undefined ? '' : `gRPC ${host}:${replica.grpcPort}  `}${scheme}://${host}:${replica.httpPort}/health${replica.dataDir === undefined ? '' : `  data ${replica.dataDir}`}`,
          ),
          `  all calculators  ${plan
            .filter((replica) => replica.grpcPort !== undefined)
            .map((replica) => `${host}:${replica.grpcPort}`)
            .join(',')}   (summa load --grpc takes this list, round robin)`,
        ]
  const lines = [
    '',
    'summa is ready:',
    `  gRPC Add        ${host}:${config.SUMMA_GRPC_PORT}   (grpcurl ${grpcurl} ${host}:${config.SUMMA_GRPC_PORT} list)`,
    `  total           ${scheme}://${host}:${config.SUMMA_HTTP_PORT}/total`,
    `  health          ${scheme}://${host}:${config.SUMMA_HTTP_PORT}/health`,
    `  metrics         ${scheme}://${host}:${config.SUMMA_HTTP_PORT}/metrics  :${config.SUMMA_CALCULATOR_HTTP_PORT}/metrics  :${config.SUMMA_RELAY_HTTP_PORT}/metrics`,
    ...(config.SUMMA_COMPAT_PORTS
      ? [
          `  seeds' ports    gRPC ${config.SUMMA_COMPAT_GRPC_PORTS.map((port) => `${host}:${port}`).join(' ')}  HTTP ${scheme}://${host}:${config.SUMMA_COMPAT_HTTP_PORT}/summation`,
        ]
      : []),
    `  Kafka           ${config.KAFKA_BOOTSTRAP_SERVERS}  topic ${config.SUMMA_TOPIC}`,
    `  data            ${config.SUMMA_DATA_DIR}  (sum.txt, audit.jsonl, broker data)`,
    ...replicas,
    '',
    'Try: ./bin/summa add 5 7 && ./bin/summa total       Stop: Ctrl-C',
    '',
  ]
  process.stdout.write(lines.join('\n'))
}
