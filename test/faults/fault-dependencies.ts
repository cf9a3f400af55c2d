import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createAdmin } from '../../src/shared/kafka.ts'
import { eventually } from '../helpers/eventually.ts'
import { PostgresCluster } from './postgres-cluster.ts'
import { Supervised } from './supervisor.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** A fault suite's own PostgreSQL cluster and Kafka broker, which its scenarios may crash. */
export interface FaultDependencies {
  postgres: PostgresCluster
  /** Under a supervisor, so a scenario can kill it and have it come back on the same data. */
  broker: Supervised
  bootstrap: string
  /** Stops the broker and removes the cluster. */
  stop: () => Promise<void>
}

/**
 * Starts them on `basePort` (broker; +1 its controller, +2 PostgreSQL), the broker's data under
 * `dir`, its log in `logFile`; resolves once the broker answers a metadata request.
 */
export async function startFaultDependencies(
  basePort: number,
  dir: string,
  logFile: string,
): Promise<FaultDependencies> {
  const bootstrap = `127.0.0.1:${basePort}`
  const postgres = new PostgresCluster(basePort + 2)
  await postgres.init()
  const broker = new Supervised({
    name: 'kafka',
    command: path.join(root, 'scripts/kafka/run.sh'),
    args: [],
    env: {
      ...process.env,
      SUMMA_DATA_DIR: path.join(dir, 'broker'),
      KAFKA_PORT: String(basePort),
      KAFKA_CONTROLLER_PORT: String(basePort + 1),
      KAFKA_HEAP: '384m',
    },
    logFile,
  })
  broker.start()
  const stop = async (): Promise<void> => {
    await broker.stop(30_000)
    await postgres.destroy()
  }
  try {
    await eventually(
      async () => {
        const admin = createAdmin([bootstrap], 'summa-faults')
        try {
          await admin.listTopics()
        } finally {
          await admin.close().catch(() => {})
        }
      },
      180_000,
      500,
    )
  } catch (error) {
    await stop()
    throw error
  }
  return { postgres, broker, bootstrap, stop }
}
